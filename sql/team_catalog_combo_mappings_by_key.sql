-- The catalog_combo_mappings row with a key, in the column order of src/team/tables.rs (a copy carries it
-- to another store, or compares it with that store's row).   ?1 combo_id  ?2 concept_id.
-- Caller: team::copy.
select
    combo_id, concept_id, version, description_level, k_max, created_at, extra, batch_id, line
from catalog_combo_mappings
where combo_id = ?1 and concept_id = ?2
