-- Bulk-loads catalog_combo_mappings rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy catalog_combo_mappings (
    combo_id, concept_id, version, description_level, k_max, created_at, extra, batch_id, line
) from stdin (format binary)
