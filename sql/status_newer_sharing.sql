-- Newer cohorts that reuse gen_ids this cohort registered first (D2), with how many: the
-- counts their builds stored (migrations/V4__cohort_reuse.sql).
-- ?1 cohort_no.   Caller: status.
select r.cohort_id, u.shared
from cohort_reuse as u
join cohort_records as r on r.cohort_no = u.cohort_no
where u.earlier_no = ?1
order by u.cohort_no
