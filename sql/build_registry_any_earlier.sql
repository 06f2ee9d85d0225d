-- Whether the gen_id registry holds any id of an earlier cohort (if not, no member can collide
-- and the per-member probes are skipped).   ?1 the building cohort's cohort_no.
-- Caller: cohort::members.
select exists (select 1 from gen_ids where cohort_no < ?1) as any_earlier
