-- The catalog_llm_models rows of the given import batches, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 batch_ids (bigint[]).
-- Caller: team::mirror.
select
    id, model, provider, display_name, specialization, extra, batch_id, line
from catalog_llm_models
where batch_id = any($1)
order by batch_id, line
