-- Whether an LLM id is in the catalog as of a batch.   ?1 id  ?2 last batch_id.
-- Caller: cohort::checks::validate_catalogs.
select exists (select 1 from catalog_llm_models where id = ?1 and batch_id <= ?2) as present
