-- A stored cohort's members in membership order, with role-value ids.   ?1 cohort_no.
-- Callers: export, verify.
select ordinal, stage, gen_id, parent, combo, template, llm, replicate
from cohort_members
where cohort_no = ?1
order by ordinal
