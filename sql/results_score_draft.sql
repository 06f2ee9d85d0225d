-- The current ledger facts of one draft that an essay's metadata names (no row when the ledger
-- has none): what results::table reads of it (docs/reference.md, "Results" §4).
-- ?1 gen_id.   Caller: results::table::render_rows (once per draft and run).
select g.refusal as d_refusal, g.meta_nonempty as d_nonempty, g.combo_id as d_combo,
       g.template as d_template, g.llm_model_id as d_llm
from results_generations as g
where g.stage = 'draft' and g.gen_id = ?1
  and not exists (select 1 from results_superseded as x
                  where x.stage = g.stage and x.gen_id = g.gen_id and x.version = g.version)
