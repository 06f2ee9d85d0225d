-- The current ledger version of each generation of stage ?1 from gen_id ?2 on, in gen_id
-- order, with whether it holds a prompt.txt, raw.txt and parsed.txt. Text gen_ids only: the
-- empty BLOB bounds the range (it sorts after every text), so it stays a range of the primary
-- key. Columns by position: gen_id, has_prompt, has_raw, has_parsed.
-- Caller: results::progress through results::walk (docs/decisions.md D37).
select g.gen_id, g.has_prompt, g.has_raw, g.has_parsed
from results_generations as g
where g.stage = ?1 and g.gen_id >= ?2 and g.gen_id < x''
  and not exists (select 1 from results_superseded as x
                  where x.stage = g.stage and x.gen_id = g.gen_id and x.version = g.version)
order by g.gen_id
