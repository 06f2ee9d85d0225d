-- Evaluation members (packed plan keys): as build_member_eval_insert.sql, finding the essay by
-- its packed key.   ?1 drafts + essays  ?2 the number of drafts.   Caller: cohort::members.
insert into temp.m (rowid, stage, parent, combo, template, llm, rep, gen_id)
select ?1 + v.id, 2, ?2 + e.id, p.combo, v.template, v.llm, v.rep,
       gen_id('evaluation', gen_signature(p.gen_id, t.text, l.text, v.rep))
from temp.plan_eval as v
join temp.plan_essay as e on e.k = v.ek
join temp.m as p on p.rowid = ?2 + e.id
join temp.role_text as t on t.role = 5 and t.vid = v.template
join temp.role_text as l on l.role = 6 and l.vid = v.llm
order by v.id
