-- The first design row whose replicate is not a positive integer (values below 1, and the
-- sentinels that stand for unparseable text). No parameters.   Caller: cohort::design.
select rowid as design_row, draft_rep, essay_rep, evaluation_rep
from temp.design
where draft_rep < 1 or essay_rep < 1 or evaluation_rep < 1
order by rowid
limit 1
