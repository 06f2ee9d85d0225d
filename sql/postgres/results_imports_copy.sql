-- Bulk-loads results_imports rows (binary COPY, the column order and types of src/team/tables.rs).
-- Caller: team::publish.
copy results_imports (
    import_id, gens_root, imported_at, generations, files_read, versions
) from stdin (format binary)
