-- Adds one gen_ids row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into gen_ids (
    gen_id, signature_digest, collision_index, cohort_no, ordinal
)
values (?1, ?2, ?3, ?4, ?5)
