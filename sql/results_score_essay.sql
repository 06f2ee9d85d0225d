-- The current ledger facts of one essay that an evaluation's metadata names (no row when the
-- ledger has none): what results::table reads of it (docs/reference.md, "Results" §4).
-- ?1 gen_id.   Caller: results::table::render_rows (once per essay and run).
select g.refusal as s_refusal, g.template as s_template, g.llm_model_id as s_llm,
       g.parent_gen_id as s_parent
from results_generations as g
where g.stage = 'essay' and g.gen_id = ?1
  and not exists (select 1 from results_superseded as x
                  where x.stage = g.stage and x.gen_id = g.gen_id and x.version = g.version)
