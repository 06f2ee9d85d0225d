-- The planner's statistics of every table, refreshed after a publish that wrote many rows
-- (a table loaded by COPY has none until autovacuum reaches it, and the `membership` view is then
-- joined row by row). Run after the commit, outside the write lock; a role that does not own the
-- tables only gets a warning.   No parameters.   Callers: team::publish.
analyze import_batches, catalog_concepts, catalog_templates, catalog_llm_models,
    catalog_combo_mappings, catalog_replication, cohort_spec_files, cohort_template_modes,
    cohort_values, cohort_members, gen_ids, cohort_reuse, cohort_records, results_imports,
    results_generations, results_superseded, results_files, results_observations
