-- Writes a cohort record, last (it completes the record: V3's guards then refuse rows for its
-- cohort_no). The seed arrives as its decimal text (D23).   $1…$16 the columns of
-- src/team/tables.rs.   Callers: team::publish, team::copy.
insert into cohort_records (
    cohort_no, cohort_id, hash_scheme, content_hash, spec_hash, members_hash, manifest_hash,
    catalog_hash, seed, last_batch_id, spec_config, manifest, drafts, essays, evaluations,
    created_at
)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9::numeric, $10, $11, $12, $13, $14, $15, $16)
