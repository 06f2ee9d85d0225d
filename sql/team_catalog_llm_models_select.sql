-- The catalog_llm_models rows of one import batch, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 batch_id.
-- Callers: team::publish, team::copy.
select
    id, model, provider, display_name, specialization, extra, batch_id, line
from catalog_llm_models
where batch_id = ?1
order by line
