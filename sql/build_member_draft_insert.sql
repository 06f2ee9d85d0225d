-- Draft members with their gen_ids (docs/reference.md §3.9); member rowid = plan id.
-- No parameters.   Caller: cohort::members.
insert into temp.m (rowid, stage, parent, combo, template, llm, rep, gen_id)
select d.id, 0, null, d.combo, d.template, d.llm, d.rep,
       gen_id('draft', gen_signature(c.text, t.text, l.text, d.rep))
from temp.plan_draft as d
join temp.role_text as c on c.role = 0 and c.vid = d.combo
join temp.role_text as t on t.role = 1 and t.vid = d.template
join temp.role_text as l on l.role = 2 and l.vid = d.llm
order by d.id
