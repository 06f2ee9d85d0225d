-- Bulk-loads catalog_llm_models rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy catalog_llm_models (
    id, model, provider, display_name, specialization, extra, batch_id, line
) from stdin (format binary)
