-- Bulk-loads results_observations rows (binary COPY, the column order and types of src/team/tables.rs).
-- Caller: team::publish.
copy results_observations (
    stage, gen_id, name, import_id, size, mtime_ns, ctime_ns, inode, device, clean
) from stdin (format binary)
