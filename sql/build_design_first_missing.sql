-- The first design row lacking a required field (docs/reference.md §3.4), with which fields are null.
-- No parameters.   Caller: cohort::design::check_design.
select rowid as design_row, combo is null as combo_missing,
       draft_template is null as draft_template_missing, draft_llm is null as draft_llm_missing,
       essay_template is null as essay_template_missing, essay_llm is null as essay_llm_missing,
       evaluation_template is null as evaluation_template_missing,
       evaluation_llm is null as evaluation_llm_missing
from temp.design
where combo is null or draft_template is null or draft_llm is null or essay_template is null
   or essay_llm is null or evaluation_template is null or evaluation_llm is null
order by rowid
limit 1
