-- The first design row lacking a required field (semantics §3.4), with which fields are null.
-- No parameters.   Caller: cohort::members::check_design.
select rowid, combo is null, draft_template is null, draft_llm is null, essay_template is null,
       essay_llm is null, evaluation_template is null, evaluation_llm is null
from temp.design
where combo is null or draft_template is null or draft_llm is null or essay_template is null
   or essay_llm is null or evaluation_template is null or evaluation_llm is null
order by rowid
limit 1
