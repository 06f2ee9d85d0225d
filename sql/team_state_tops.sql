-- The newest import batch and cohort record of an SQLite store (0 for none).   No parameters.
-- Caller: team::publish.
select (select coalesce(max(batch_id), 0) from import_batches) as last_batch,
       (select coalesce(max(cohort_no), 0) from cohort_records) as last_cohort
