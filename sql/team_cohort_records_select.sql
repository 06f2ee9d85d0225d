-- The cohort_records rows of one cohort record, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 cohort_no.
-- Callers: team::publish, team::copy.
select
    cohort_no, cohort_id, hash_scheme, content_hash, spec_hash, members_hash, manifest_hash,
    catalog_hash, cast(seed as text) as seed, last_batch_id, spec_config, manifest, drafts,
    essays, evaluations, created_at
from cohort_records
where cohort_no = ?1
order by cohort_no
