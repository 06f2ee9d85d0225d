-- Another concept row of a combo from an earlier batch: a combo id names a fixed concept set,
-- so a new concept for a combo that already existed is a change.
-- ?1 combo_id  ?2 the current batch_id.   Caller: catalog::import.
select concept_id, batch_id
from catalog_combo_mappings
where combo_id = ?1 and batch_id <> ?2
limit 1
