-- Stores one file of a cohort's spec bundle.   ?1 cohort_no ?2 path ?3 content ?4 blake3.
-- Caller: record::write.
insert into cohort_spec_files (cohort_no, path, content, blake3) values (?1, ?2, ?3, ?4)
