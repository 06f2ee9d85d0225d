-- Whether any record was built before cohort number ?1 (a primary-key range, not a scan of
-- gen_ids: without an earlier record no member can reuse an earlier gen_id).
-- ?1 cohort_no.   Caller: record::recount_reuse.
select exists (select 1 from cohort_records where cohort_no < ?1) as any_earlier
