-- The members whose gen_id an earlier cohort registered (a reuse, D2), kept in temp.hits for
-- the agreement check and the cohort_reuse counts: one registry probe per member, made once.
-- ?1 the building cohort's cohort_no (earlier cohorts only).
-- Caller: cohort::checks::check_registry_agreement.
create temp table hits as
select m.rowid as seq, g.cohort_no, g.ordinal, g.signature_digest
from temp.m as m
cross join gen_ids as g on g.gen_id = m.gen_id
where g.cohort_no < ?1
