-- The stored content of one (combo, concept) row.
-- ?1 combo_id  ?2 concept_id.   Caller: catalog::import.
select version, description_level, k_max, created_at, extra, batch_id, line
from catalog_combo_mappings
where combo_id = ?1 and concept_id = ?2
