-- A stored cohort's members: stage (0 draft, 1 essay, 2 evaluation), gen_id and ordinal
-- (membership order).   ?1 cohort_id.
-- Caller: results::progress (it sorts each stage's members by gen_id and walks the ledger
-- beside them, results_progress_walk.sql).
select m.stage, m.gen_id, m.ordinal
from cohort_members as m
join cohort_records as r on r.cohort_no = m.cohort_no
where r.cohort_id = ?1
