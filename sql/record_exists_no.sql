-- Whether a cohort number already has its record row (then its record is complete, V3).
-- ?1 = cohort_no.   Caller: record::write, before it bulk-inserts a new record's rows.
select exists (select 1 from cohort_records where cohort_no = ?1) as complete
