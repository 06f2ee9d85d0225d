-- The cohort_no the next record gets.   No parameters.   Caller: cohort::build.
select coalesce(max(cohort_no), 0) + 1 as cohort_no from cohort_records
