-- The texts a stored cohort's members refer to.   ?1 cohort_no.   Callers: export, verify.
select role, vid, text from cohort_values where cohort_no = ?1 order by role, vid
