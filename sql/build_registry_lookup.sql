-- Whether the registry holds a gen_id for a signature other than ?2.
-- ?1 gen_id  ?2 signature  ?3 cohort_no bound (earlier cohorts only).
-- Caller: cohort::members.
select signature_digest <> gen_signature_digest(?2) as held_by_other
from gen_ids
where gen_id = ?1 and cohort_no < ?3
