-- The catalog_combo_mappings rows of one import batch, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 batch_id.
-- Callers: team::publish, team::copy.
select
    combo_id, concept_id, version, description_level, k_max, created_at, extra, batch_id, line
from catalog_combo_mappings
where batch_id = ?1
order by line
