-- Bulk-loads cohort_members rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy cohort_members (
    cohort_no, ordinal, stage, gen_id, parent, combo, template, llm, replicate
) from stdin (format binary)
