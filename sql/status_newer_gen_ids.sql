-- The gen_ids of every cohort built after one, cohort by cohort (a range of the primary key).
-- ?1 cohort_no.   Caller: status (newer cohorts sharing gen_ids, D2).
select cohort_no, gen_id
from cohort_members
where cohort_no > ?1
order by cohort_no, ordinal
