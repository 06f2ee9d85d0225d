-- The ids of one catalog as of a batch, for the "did you mean" of an id a spec uses that the
-- catalog lacks (only when a build is refused for it).   ?1 catalog: 'combo', 'llm' or a
-- template stage   ?2 last batch_id.   Caller: cohort::checks::validate_catalogs.
select distinct combo_id as id from catalog_combo_mappings where ?1 = 'combo' and batch_id <= ?2
union
select distinct id from catalog_llm_models where ?1 = 'llm' and batch_id <= ?2
union
select distinct template_id as id from catalog_templates where stage = ?1 and batch_id <= ?2
