-- Essay plan entries (draft key, template, LLM, replicate) in first-appearance order.
-- No parameters.   Caller: cohort::members.
insert into temp.plan_essay (combo, dt, dl, drep, template, llm, rep)
select combo, draft_template, draft_llm, draft_rep, essay_template, essay_llm, essay_rep
from temp.design
where true
order by rowid
on conflict do nothing
