-- Bulk-loads cohort_template_modes rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy cohort_template_modes (
    cohort_no, stage, template_id, mode
) from stdin (format binary)
