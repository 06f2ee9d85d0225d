-- The planner's statistics of every table, refreshed after a publish that wrote many rows
-- (a table loaded by COPY has none until autovacuum reaches it, and the `membership` view is then
-- joined row by row). Run after the commit, outside the write lock; a role that does not own the
-- tables only gets a warning. `skip_locked`: a table another publish's ANALYZE is refreshing is
-- left to it rather than queued behind it.   No parameters.   Callers: team::publish (a copy
-- into the store; imports and builds refresh what they write: analyze_catalogs.sql,
-- analyze_records.sql).
analyze (skip_locked) import_batches, catalog_concepts, catalog_templates, catalog_llm_models,
    catalog_combo_mappings, catalog_replication, cohort_spec_files, cohort_template_modes,
    cohort_values, cohort_members, gen_ids, cohort_reuse, cohort_records, results_imports,
    results_generations, results_superseded, results_files, results_observations
