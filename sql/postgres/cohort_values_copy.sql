-- Bulk-loads cohort_values rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy cohort_values (
    cohort_no, role, vid, text
) from stdin (format binary)
