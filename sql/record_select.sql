-- One cohort record.   ?1 cohort_id.   Caller: record::load.
select cohort_no, hash_scheme, content_hash, spec_hash, members_hash, manifest_hash,
       catalog_hash, seed, last_batch_id, spec_config, manifest, drafts, essays, evaluations,
       created_at
from cohort_records
where cohort_id = ?1
