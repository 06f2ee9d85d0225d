-- Every stored cohort in build order, with the five digests of its record (docs/hashing.md).
select cohort_id, content_hash, spec_hash, members_hash, manifest_hash, catalog_hash,
       drafts, essays, evaluations, created_at
from cohort_records
order by cohort_no
