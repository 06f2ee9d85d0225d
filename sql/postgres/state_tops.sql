-- The newest import batch, cohort record and results import (0 for none): a publish compares
-- them, under the write lock, with what its mirror had synced.   No parameters.
-- Callers: team::publish.
select (select coalesce(max(batch_id), 0) from import_batches) as last_batch,
       (select coalesce(max(cohort_no), 0) from cohort_records) as last_cohort,
       (select coalesce(max(import_id), 0) from results_imports) as last_results
