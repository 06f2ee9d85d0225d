-- A cohort's template modes.   ?1 cohort_no.   Caller: record::load_modes.
select stage, template_id, mode from cohort_template_modes where cohort_no = ?1
order by stage, template_id
