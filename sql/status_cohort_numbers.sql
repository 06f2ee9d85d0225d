-- Every cohort's build number and id.   No parameters.   Caller: status (naming newer cohorts).
select cohort_no, cohort_id
from cohort_records
