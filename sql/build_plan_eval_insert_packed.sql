-- Evaluation plan entries in first-appearance order:
-- k = ((ek * ?7 + template) * ?8 + llm) * ?9 + rep, where ek is the essay's packed key (see
-- build_plan_essay_insert_packed.sql for ?1..?6).   Caller: cohort::members.
insert into temp.plan_eval (k, ek, template, llm, rep)
select (((((((((combo * ?1 + draft_template) * ?2 + draft_llm) * ?3 + draft_rep) * ?4
              + essay_template) * ?5 + essay_llm) * ?6 + essay_rep) * ?7
           + evaluation_template) * ?8 + evaluation_llm) * ?9 + evaluation_rep),
       ((((((combo * ?1 + draft_template) * ?2 + draft_llm) * ?3 + draft_rep) * ?4
          + essay_template) * ?5 + essay_llm) * ?6 + essay_rep),
       evaluation_template, evaluation_llm, evaluation_rep
from temp.design
where true
order by rowid
on conflict do nothing
