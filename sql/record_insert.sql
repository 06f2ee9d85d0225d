-- Writes a cohort record (once: the unique id refuses a second, triggers refuse changes).
-- ?1 cohort_no ?2 cohort_id ?3 hash_scheme ?4 content_hash ?5 spec_hash ?6 members_hash
-- ?7 manifest_hash ?8 catalog_hash ?9 seed ?10 last_batch_id ?11 spec_config ?12 manifest
-- ?13 drafts ?14 essays ?15 evaluations ?16 created_at.   Caller: record::write.
insert into cohort_records
    (cohort_no, cohort_id, hash_scheme, content_hash, spec_hash, members_hash, manifest_hash,
     catalog_hash, seed, last_batch_id, spec_config, manifest, drafts, essays, evaluations,
     created_at)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
