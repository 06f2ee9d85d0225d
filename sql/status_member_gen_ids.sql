-- A stored cohort's gen_ids.   ?1 cohort_no.   Caller: status (the set newer cohorts are
-- compared with).
select gen_id
from cohort_members
where cohort_no = ?1
