-- Whether a cohort id has a stored record.   ?1 cohort_id.   Caller: results (scores, progress).
select exists (select 1 from cohort_records where cohort_id = ?1) as stored
