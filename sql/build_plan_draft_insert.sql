-- Draft plan entries in first-appearance order. No parameters.   Caller: cohort::members.
insert into temp.plan_draft (combo, template, llm, rep)
select combo, draft_template, draft_llm, draft_rep
from temp.design
where true
order by rowid
on conflict do nothing
