-- Essay plan entries in first-appearance order: k = ((dk * ?4 + template) * ?5 + llm) * ?6 + rep,
-- where dk = ((combo * ?1 + draft template) * ?2 + draft LLM) * ?3 + draft replicate is the
-- draft's packed key.   Caller: cohort::members.
insert into temp.plan_essay (k, dk, template, llm, rep)
select ((((((combo * ?1 + draft_template) * ?2 + draft_llm) * ?3 + draft_rep) * ?4
          + essay_template) * ?5 + essay_llm) * ?6 + essay_rep),
       ((combo * ?1 + draft_template) * ?2 + draft_llm) * ?3 + draft_rep,
       essay_template, essay_llm, essay_rep
from temp.design
where true
order by rowid
on conflict do nothing
