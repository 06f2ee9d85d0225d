-- A stored cohort's members by stage and role-value ids, to count levels per axis.
-- ?1 cohort_no.   Caller: show.
select stage, combo, template, llm, replicate
from cohort_members
where cohort_no = ?1
