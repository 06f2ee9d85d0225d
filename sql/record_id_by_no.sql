-- A record's cohort id by its number.   ?1 cohort_no.   Caller: record::check_reuse.
select cohort_id from cohort_records where cohort_no = ?1
