-- Bulk-loads import_batches rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy import_batches (
    batch_id, catalog, source_path, source_blake3, header, imported_at, rows_added
) from stdin (format binary)
