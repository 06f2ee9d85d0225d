-- Essay members: the signature uses the parent draft's gen_id and omits the essay LLM; an
-- essay carries its draft's combo (docs/reference.md §3.10).
-- ?1 the number of drafts (essay member rowid = ?1 + plan id).   Caller: cohort::members.
insert into temp.m (rowid, stage, parent, combo, template, llm, rep, gen_id)
select ?1 + e.id, 1, d.id, p.combo, e.template, e.llm, e.rep,
       gen_id('essay', gen_signature(p.gen_id, t.text, e.rep))
from temp.plan_essay as e
join temp.plan_draft as d
  on d.combo = e.combo and d.template = e.dt and d.llm = e.dl and d.rep = e.drep
join temp.m as p on p.rowid = d.id
join temp.role_text as t on t.role = 3 and t.vid = e.template
order by e.id
