-- Every import batch id, cohort record and results import of the store, in id order: what a
-- sync compares with the mirror (a set difference, not "above my newest": writers may commit out
-- of order).   No parameters.   Caller: team::mirror.
select 'batch' as kind, batch_id as id, null::text as cohort_id from import_batches
union all
select 'record', cohort_no, cohort_id from cohort_records
union all
select 'results', import_id, null from results_imports
order by kind, id
