-- The concept rows of a combo as of a batch, by concept id.   ?1 combo_id  ?2 last batch_id.
-- Caller: record::canonical (catalog digest).
select concept_id, version, description_level, k_max, created_at, extra
from catalog_combo_mappings
where combo_id = ?1 and batch_id <= ?2
order by concept_id
