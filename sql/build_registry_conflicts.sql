-- Members whose gen_id the registry already holds for another signature (a real collision,
-- semantics §3.9): they take the next collision index.
-- ?1 stage  ?2 the building cohort's cohort_no (earlier cohorts only).   Caller: cohort::members.
select x.seq, x.signature, x.collision
from gen_ids as r
join temp.member_rows as x on x.gen_id = r.gen_id
where x.stage_no = ?1 and r.cohort_no < ?2
  and r.signature_digest <> gen_signature_digest(x.signature)
order by x.seq
