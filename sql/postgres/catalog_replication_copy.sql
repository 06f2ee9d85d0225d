-- Bulk-loads catalog_replication rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy catalog_replication (
    stage, replicates, extra, batch_id, line
) from stdin (format binary)
