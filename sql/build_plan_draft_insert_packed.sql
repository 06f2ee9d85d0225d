-- Draft plan entries in first-appearance order, keyed by their packed key
-- k = ((combo * ?1 + template) * ?2 + llm) * ?3 + rep.   Caller: cohort::members.
insert into temp.plan_draft (k, combo, template, llm, rep)
select ((combo * ?1 + draft_template) * ?2 + draft_llm) * ?3 + draft_rep,
       combo, draft_template, draft_llm, draft_rep
from temp.design
where true
order by rowid
on conflict do nothing
