-- A cohort's spec bundle.   ?1 cohort_no.   Caller: record::load_bundle.
select path, content from cohort_spec_files where cohort_no = ?1 order by path
