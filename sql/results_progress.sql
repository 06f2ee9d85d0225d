-- A stored cohort's members in membership order, with whether the current ledger holds each
-- one's prompt.txt, raw.txt and parsed.txt. Columns by position: stage (0 draft, 1 essay,
-- 2 evaluation), gen_id, has_prompt, has_raw, has_parsed.   ?1 cohort_id.
-- Caller: results::progress.
select m.stage, m.gen_id,
       coalesce(g.has_prompt, 0) as has_prompt, coalesce(g.has_raw, 0) as has_raw,
       coalesce(g.has_parsed, 0) as has_parsed
from cohort_members as m
join cohort_records as r on r.cohort_no = m.cohort_no
left join results_generations as g
  on g.stage = (case m.stage when 0 then 'draft' when 1 then 'essay' else 'evaluation' end)
 and g.gen_id = m.gen_id
 and not exists (select 1 from results_superseded as x
                 where x.stage = g.stage and x.gen_id = g.gen_id and x.version = g.version)
where r.cohort_id = ?1
order by m.ordinal
