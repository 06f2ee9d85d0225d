-- Members per level of each axis and stage of one cohort (:cohort_id). Counted on the stored
-- value ids (cohort_members), then named: one pass over the members, not four over the view.
with record as (
    select cohort_no from cohort_records where cohort_id = :cohort_id
),
counts as (
    select m.stage, m.combo, m.template, m.llm, cast(m.replicate as text) as replicate,
           count(*) as members
    from cohort_members as m
    join record as r on r.cohort_no = m.cohort_no
    group by m.stage, m.combo, m.template, m.llm, m.replicate
),
levels as (
    select stage, 1 as axis_no, 'combo_id' as axis, 0 as role, combo as vid, null as level,
           sum(members) as members
    from counts group by stage, combo
    union all
    select stage, 2, 'template_id', 2 * stage + 1, template, null, sum(members)
    from counts group by stage, template
    union all
    select stage, 3, 'llm_model_id', 2 * stage + 2, llm, null, sum(members)
    from counts group by stage, llm
    union all
    select stage, 4, 'replicate', null, null, replicate, sum(members)
    from counts group by stage, replicate
)
select case l.stage when 0 then 'draft' when 1 then 'essay' else 'evaluation' end as stage,
       l.axis,
       coalesce(v.text, l.level) as level,
       l.members
from levels as l
left join cohort_values as v
  on v.cohort_no = (select cohort_no from record) and v.role = l.role and v.vid = l.vid
order by l.stage, l.axis_no, l.members desc, level
