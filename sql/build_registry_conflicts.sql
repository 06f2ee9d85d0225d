-- Members whose gen_id the registry already holds for another signature (a real collision,
-- docs/reference.md §3.9): they take the next collision index.
-- ?1 stage  ?2 the building cohort's cohort_no (earlier cohorts only).   Caller: cohort::members.
--
-- The join order is forced (CROSS JOIN): each member of the stage probes the registry by gen_id.
with hits as materialized (
    select m.rowid as seq, g.signature_digest
    from temp.m as m
    cross join gen_ids as g on g.gen_id = m.gen_id
    where m.stage = ?1 and g.cohort_no < ?2
)
select x.seq, x.signature, x.collision
from hits as h
cross join temp.member_rows as x on x.seq = h.seq
where h.signature_digest <> gen_signature_digest(x.signature)
order by x.seq
