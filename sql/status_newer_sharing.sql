-- Newer cohorts that reuse gen_ids this cohort registered first (D2), with how many.
-- ?1 cohort_no.   Caller: status.
select r.cohort_id, count(*) as shared
from cohort_members as n
join gen_ids as g on g.gen_id = n.gen_id
join cohort_records as r on r.cohort_no = n.cohort_no
where n.cohort_no > ?1 and g.cohort_no = ?1
group by n.cohort_no
order by n.cohort_no
