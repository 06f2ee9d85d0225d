-- Every import batch id, cohort record and results import of an SQLite store, as the team store
-- lists its own (sql/postgres/state_ids.sql): what a sync compares.   No parameters.
-- Caller: team::mirror.
select 'batch' as kind, batch_id as id, null as cohort_id from import_batches
union all
select 'record', cohort_no, cohort_id from cohort_records
union all
select 'results', import_id, null from results_imports
order by kind, id
