-- One LLM row as of a batch.   ?1 id  ?2 last batch_id.   Caller: record::canonical (catalog digest).
select model, provider, display_name, specialization, extra
from catalog_llm_models
where id = ?1 and batch_id <= ?2
