-- A stored cohort's members of one stage, in membership order.   ?1 cohort_id, ?2 stage
-- (0 draft, 1 essay, 2 evaluation).
-- Caller: results (scores of a stored cohort: its evaluations; its drafts and essays, which
-- results::table loads before the rows).
select m.gen_id
from cohort_members as m
join cohort_records as r on r.cohort_no = m.cohort_no
where r.cohort_id = ?1 and m.stage = ?2
order by m.ordinal
