-- A cohort's spec bundle with each file's stored BLAKE3.   ?1 cohort_no.
-- Callers: record::load_bundle, record::spec_digest_mismatches.
select path, content, blake3 from cohort_spec_files where cohort_no = ?1 order by path
