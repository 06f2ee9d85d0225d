-- Adds one LLM row unless its id exists.
-- ?1 id  ?2 model  ?3 provider  ?4 display_name  ?5 specialization  ?6 extra  ?7 batch_id
-- ?8 line.   Caller: catalog::import.
insert into catalog_llm_models
    (id, model, provider, display_name, specialization, extra, batch_id, line)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
on conflict do nothing
