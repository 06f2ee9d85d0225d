-- Adds one (combo, concept) row unless it exists.
-- ?1 combo_id  ?2 concept_id  ?3 version  ?4 description_level  ?5 k_max  ?6 created_at
-- ?7 extra  ?8 batch_id  ?9 line.   Caller: catalog::import.
insert into catalog_combo_mappings
    (combo_id, concept_id, version, description_level, k_max, created_at, extra, batch_id, line)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
on conflict do nothing
