-- Bulk-loads catalog_concepts rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy catalog_concepts (
    concept_id, name, extra, description_sentence, description_paragraph, description_article,
    batch_id, line
) from stdin (format binary)
