-- The stored content of one LLM row.
-- ?1 id.   Caller: catalog::import.
select model, provider, display_name, specialization, extra, batch_id, line
from catalog_llm_models
where id = ?1
