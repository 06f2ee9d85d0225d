-- Bulk-loads catalog_templates rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy catalog_templates (
    stage, template_id, template_name, description, parser, generator, extra, body, batch_id,
    line
) from stdin (format binary)
