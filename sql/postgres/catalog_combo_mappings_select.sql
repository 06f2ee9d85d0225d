-- The catalog_combo_mappings rows of the given import batches, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 batch_ids (bigint[]).
-- Caller: team::mirror.
select
    combo_id, concept_id, version, description_level, k_max, created_at, extra, batch_id, line
from catalog_combo_mappings
where batch_id = any($1)
order by batch_id, line
