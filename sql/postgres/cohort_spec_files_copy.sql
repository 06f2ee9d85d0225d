-- Bulk-loads cohort_spec_files rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy cohort_spec_files (
    cohort_no, path, content, blake3
) from stdin (format binary)
