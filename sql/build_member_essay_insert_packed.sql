-- Essay members (packed plan keys): as build_member_essay_insert.sql, finding the draft by its
-- packed key.   ?1 the number of drafts.   Caller: cohort::members.
insert into temp.m (rowid, stage, parent, combo, template, llm, rep, gen_id)
select ?1 + e.id, 1, d.id, p.combo, e.template, e.llm, e.rep,
       gen_id('essay', gen_signature(p.gen_id, t.text, e.rep))
from temp.plan_essay as e
join temp.plan_draft as d on d.k = e.dk
join temp.m as p on p.rowid = d.id
join temp.role_text as t on t.role = 3 and t.vid = e.template
order by e.id
