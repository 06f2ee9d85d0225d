-- Bulk-loads results_superseded rows (binary COPY, the column order and types of src/team/tables.rs).
-- Caller: team::publish.
copy results_superseded (
    stage, gen_id, version, import_id
) from stdin (format binary)
