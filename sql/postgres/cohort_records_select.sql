-- The cohort_records rows of the given cohort records, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 cohort_nos (bigint[]).
-- Caller: team::mirror.
select
    cohort_no, cohort_id, hash_scheme, content_hash, spec_hash, members_hash, manifest_hash,
    catalog_hash, seed::text as seed, last_batch_id, spec_config, manifest, drafts, essays,
    evaluations, created_at
from cohort_records
where cohort_no = any($1)
order by cohort_no
