-- Bulk-loads gen_ids rows (binary COPY, the column order and types of src/team/tables.rs).
-- Callers: team::publish, team::copy.
copy gen_ids (
    gen_id, signature_digest, collision_index, cohort_no, ordinal
) from stdin (format binary)
