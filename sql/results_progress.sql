-- A stored cohort's members with whether the current ledger holds each one's prompt.txt,
-- raw.txt and parsed.txt. Columns by position: stage (0 draft, 1 essay, 2 evaluation),
-- gen_id, has_prompt, has_raw, has_parsed, ordinal (membership order).   ?1 cohort_id.
-- The members are listed in the ledger's key order (stage, gen_id) first, so the lookups into
-- results_generations walk its pages in order instead of seeking at random (at 1,200,000
-- members the ledger no longer fits any cache); rows come out in that order, and the caller
-- restores membership order where it needs it (the missing gen_ids). Only the speed depends
-- on the order (SQLite honours the ORDER BY of a materialised CTE: "USE TEMP B-TREE FOR
-- ORDER BY" in its plan); no result does.
-- Caller: results::progress.
with m as materialized (
    select m.ordinal, m.stage, m.gen_id,
           case m.stage when 0 then 'draft' when 1 then 'essay' else 'evaluation' end as stage_name
    from cohort_members as m
    join cohort_records as r on r.cohort_no = m.cohort_no
    where r.cohort_id = ?1
    order by stage_name, m.gen_id
)
select m.stage, m.gen_id,
       coalesce(g.has_prompt, 0) as has_prompt, coalesce(g.has_raw, 0) as has_raw,
       coalesce(g.has_parsed, 0) as has_parsed, m.ordinal
from m
left join results_generations as g
  on g.stage = m.stage_name and g.gen_id = m.gen_id
 and not exists (select 1 from results_superseded as x
                 where x.stage = g.stage and x.gen_id = g.gen_id and x.version = g.version)
