-- Adds one cohort_records row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into cohort_records (
    cohort_no, cohort_id, hash_scheme, content_hash, spec_hash, members_hash, manifest_hash,
    catalog_hash, seed, last_batch_id, spec_config, manifest, drafts, essays, evaluations,
    created_at
)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
