-- Evaluation plan entries (essay key, template, LLM, replicate) in first-appearance order.
-- No parameters.   Caller: cohort::members.
insert into temp.plan_eval (combo, dt, dl, drep, et, el, erep, template, llm, rep)
select combo, draft_template, draft_llm, draft_rep, essay_template, essay_llm, essay_rep,
       evaluation_template, evaluation_llm, evaluation_rep
from temp.design
where true
order by rowid
on conflict do nothing
