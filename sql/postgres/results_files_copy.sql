-- Bulk-loads results_files rows (binary COPY, the column order and types of src/team/tables.rs).
-- Caller: team::publish.
copy results_files (
    stage, gen_id, version, name, kind, size, blake3
) from stdin (format binary)
