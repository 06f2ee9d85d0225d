-- The record tables holding rows for a cohort number that has no record row yet (written
-- outside cohortdb): a new record must start empty, or it would take them over.
-- ?1 cohort_no.   Caller: record::write.
-- gen_ids is not listed: it has no index by cohort_no, so checking it would scan every issued
-- gen_id on each build.
select 'cohort_spec_files' as table_name
where exists (select 1 from cohort_spec_files where cohort_no = ?1)
union all
select 'cohort_template_modes'
where exists (select 1 from cohort_template_modes where cohort_no = ?1)
union all
select 'cohort_values'
where exists (select 1 from cohort_values where cohort_no = ?1)
union all
select 'cohort_members'
where exists (select 1 from cohort_members where cohort_no = ?1)
union all
select 'cohort_reuse'
where exists (select 1 from cohort_reuse where cohort_no = ?1)
