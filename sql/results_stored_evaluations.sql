-- A stored cohort's evaluation members in membership order.  ?1 cohort_id.
-- Caller: results (scores of a stored cohort).
select m.gen_id
from cohort_members as m
join cohort_records as r on r.cohort_no = m.cohort_no
where r.cohort_id = ?1 and m.stage = 2
order by m.ordinal
