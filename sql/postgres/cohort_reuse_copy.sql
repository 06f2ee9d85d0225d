-- Bulk-loads cohort_reuse rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy cohort_reuse (
    cohort_no, earlier_no, shared
) from stdin (format binary)
