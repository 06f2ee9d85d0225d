-- A stored cohort's membership.csv lines (stage, gen_id) in order, to hash the expected file
-- without loading the members.   ?1 cohort_no.   Caller: status.
select stage, gen_id
from cohort_members
where cohort_no = ?1
order by ordinal
