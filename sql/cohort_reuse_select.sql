-- A cohort's stored cohort_reuse rows.   ?1 cohort_no.   Caller: verify.
select earlier_no, shared
from cohort_reuse
where cohort_no = ?1
order by earlier_no
