-- How many rows each catalog holds as of a batch (for hints when one is empty).
-- ?1 last batch_id.   Caller: cohort::checks::validate_catalogs.
select (select count(*) from catalog_combo_mappings where batch_id <= ?1) as combo_mappings,
       (select count(*) from catalog_templates where batch_id <= ?1) as templates,
       (select count(*) from catalog_llm_models where batch_id <= ?1) as llm_models
