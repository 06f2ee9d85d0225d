-- Every import batch id and cohort record of an SQLite store, as the team store lists its own
-- (sql/postgres/state_ids.sql): what a sync compares.   No parameters.   Caller: team::mirror.
select 'batch' as kind, batch_id as id, null as cohort_id from import_batches
union all
select 'record', cohort_no, cohort_id from cohort_records
order by kind, id
