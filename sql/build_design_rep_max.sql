-- The largest replicate of each stage (bounds for packed plan keys).   No parameters.
-- Caller: cohort::members.
select coalesce(max(draft_rep), 1) as draft_rep, coalesce(max(essay_rep), 1) as essay_rep,
       coalesce(max(evaluation_rep), 1) as evaluation_rep
from temp.design
