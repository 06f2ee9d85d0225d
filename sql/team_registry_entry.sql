-- Who registered a gen_id, and for which signature (its digest).   ?1 gen_id.
-- Caller: team::copy.
select cohort_no, ordinal, signature_digest from gen_ids where gen_id = ?1
