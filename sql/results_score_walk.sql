-- The current ledger facts of each evaluation (?1 = 'evaluation') from gen_id ?2 on, in gen_id
-- order: text gen_ids only (the empty BLOB bounds the range; it sorts after every text).
-- results::table walks them beside the cohort's evaluation gen_ids sorted (results::walk,
-- docs/decisions.md D37), looks up each essay and draft (remembered per run), and hands the
-- rows back with their ordinal, for the caller to put in membership order (D35). The columns
-- are the evaluation's part of results_score_materials.sql, in the same order, from gen_id.
-- Caller: results::table::render_rows.
select e.gen_id,
       e.folder as e_folder, e.refusal as e_refusal, e.raw_meta_refusal as e_raw_meta_refusal,
       e.parent_gen_id as e_parent, e.combo_id as e_combo, e.draft_template as e_draft_template,
       e.eval_template_kind, e.eval_template, e.eval_template_f,
       e.eval_llm_kind, e.eval_llm, e.eval_llm_f, e.origin_cohort_id,
       e.score_text, e.score_error,
       e.input_mode_kind, e.input_mode, e.input_mode_f,
       e.copied_from_kind, e.copied_from, e.copied_from_f
from results_generations as e
where e.stage = ?1 and e.gen_id >= ?2 and e.gen_id < x''
  and not exists (select 1 from results_superseded as x
                  where x.stage = e.stage and x.gen_id = e.gen_id and x.version = e.version)
order by e.gen_id
