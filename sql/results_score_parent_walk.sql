-- The current ledger facts of each essay (?1 = 'essay') or draft (?1 = 'draft') from gen_id
-- ?2 on, in gen_id order (text gen_ids only, as in results_score_walk.sql): `scores` walks
-- them beside a stored cohort's essay and draft members sorted by gen_id (results::walk,
-- docs/decisions.md D37) and loads them before its rows; results_score_essay.sql and
-- results_score_draft.sql remain for the parents that are not members.
-- Columns by position: gen_id, refusal, template, llm_model_id, parent_gen_id, meta_nonempty,
-- combo_id.   Caller: results::table (Parents::preload).
select g.gen_id, g.refusal, g.template, g.llm_model_id, g.parent_gen_id, g.meta_nonempty,
       g.combo_id
from results_generations as g
where g.stage = ?1 and g.gen_id >= ?2 and g.gen_id < x''
  and not exists (select 1 from results_superseded as x
                  where x.stage = g.stage and x.gen_id = g.gen_id and x.version = g.version)
order by g.gen_id
