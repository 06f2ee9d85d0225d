-- The largest replicate of each stage (bounds for packed plan keys).   No parameters.
-- Caller: cohort::members.
select coalesce(max(draft_rep), 1), coalesce(max(essay_rep), 1), coalesce(max(evaluation_rep), 1)
from temp.design
