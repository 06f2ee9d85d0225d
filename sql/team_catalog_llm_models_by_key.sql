-- The catalog_llm_models row with a key, in the column order of src/team/tables.rs (a copy carries it
-- to another store, or compares it with that store's row).   ?1 id.
-- Caller: team::copy.
select
    id, model, provider, display_name, specialization, extra, batch_id, line
from catalog_llm_models
where id = ?1
