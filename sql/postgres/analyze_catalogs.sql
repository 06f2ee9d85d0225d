-- The planner's statistics of the catalog tables, refreshed after an import that added many rows
-- (a table loaded by COPY has none until autovacuum reaches it). Run after the commit, outside
-- the write lock; a role that does not own the tables only gets a warning. `skip_locked`: a
-- table another publish's ANALYZE is refreshing is left to it rather than queued behind it.
-- No parameters.   Callers: team::publish (imports; analyze.sql after a copy into the store).
analyze (skip_locked) import_batches, catalog_concepts, catalog_templates, catalog_llm_models,
    catalog_combo_mappings, catalog_replication
