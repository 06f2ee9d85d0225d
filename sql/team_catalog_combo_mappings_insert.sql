-- Adds one catalog_combo_mappings row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into catalog_combo_mappings (
    combo_id, concept_id, version, description_level, k_max, created_at, extra, batch_id, line
)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
