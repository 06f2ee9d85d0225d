-- For each evaluation gen_id of ?1 (a JSON array, membership order) with its ordinal (its
-- position in the array): the current ledger facts of the evaluation (NULL columns when the
-- ledger has none), the members listed in the ledger's key order (gen_id) first, so the
-- lookups into results_generations walk its pages in order instead of seeking at random (at
-- 1,000,000 evaluations the ledger is ~800 MB and no page cache holds it). Rows come out in
-- that order; the caller looks up each essay and draft (results_score_essay.sql,
-- results_score_draft.sql, remembered per run) and puts the rows back in membership order by
-- `ordinal` (docs/decisions.md D35). Only the speed depends on the order (SQLite honours the
-- ORDER BY of a materialised CTE); no result does. Caller: results::table::render_rows.
with m as materialized (
    select cast(j.key as integer) as ordinal, j.value as gen_id from json_each(?1) as j
    order by j.value
)
select m.ordinal, m.gen_id,
       e.folder as e_folder, e.refusal as e_refusal, e.raw_meta_refusal as e_raw_meta_refusal,
       e.parent_gen_id as e_parent, e.combo_id as e_combo, e.draft_template as e_draft_template,
       e.eval_template_kind, e.eval_template, e.eval_template_f,
       e.eval_llm_kind, e.eval_llm, e.eval_llm_f, e.origin_cohort_id,
       e.score_text, e.score_error,
       e.input_mode_kind, e.input_mode, e.input_mode_f,
       e.copied_from_kind, e.copied_from, e.copied_from_f
from m
left join results_generations as e
  on e.stage = 'evaluation' and e.gen_id = m.gen_id
 and not exists (select 1 from results_superseded as x
                 where x.stage = e.stage and x.gen_id = e.gen_id and x.version = e.version)
