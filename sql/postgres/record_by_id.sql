-- A cohort record's number and content hash by id.   $1 cohort_id.   Caller: team::publish.
select cohort_no, content_hash from cohort_records where cohort_id = $1
