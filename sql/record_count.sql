-- How many cohorts the store holds.   No parameters.   Caller: store::backup.
select count(*) from cohort_records
