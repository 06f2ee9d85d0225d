-- For each evaluation gen_id of ?1 (a JSON array, membership order): the current ledger facts
-- of the evaluation, of the essay its metadata names and of that essay's draft (NULL columns
-- when the ledger has none). results::table assembles the reference's row from them
-- (docs/reference.md, "Results" §4).   Caller: results::score_rows (rows handed out in
-- membership order as they are made; `scores` reads the same facts in key order,
-- results_score_walk.sql, docs/decisions.md D35, D37).
with members as (
    select cast(j.key as integer) as ordinal, j.value as gen_id from json_each(?1) as j
)
select m.ordinal, m.gen_id,
       e.folder as e_folder, e.refusal as e_refusal, e.raw_meta_refusal as e_raw_meta_refusal,
       e.parent_gen_id as e_parent, e.combo_id as e_combo, e.draft_template as e_draft_template,
       e.eval_template_kind, e.eval_template, e.eval_template_f,
       e.eval_llm_kind, e.eval_llm, e.eval_llm_f, e.origin_cohort_id,
       e.score_text, e.score_error,
       e.input_mode_kind, e.input_mode, e.input_mode_f,
       e.copied_from_kind, e.copied_from, e.copied_from_f,
       s.folder as s_folder, s.refusal as s_refusal, s.template as s_template,
       s.llm_model_id as s_llm, s.parent_gen_id as s_parent,
       d.folder as d_folder, d.refusal as d_refusal, d.meta_nonempty as d_nonempty,
       d.combo_id as d_combo, d.template as d_template, d.llm_model_id as d_llm
from members as m
left join results_generations as e
  on e.stage = 'evaluation' and e.gen_id = m.gen_id
 and not exists (select 1 from results_superseded as x
                 where x.stage = e.stage and x.gen_id = e.gen_id and x.version = e.version)
left join results_generations as s
  on e.parent_gen_id is not null and s.stage = 'essay' and s.gen_id = e.parent_gen_id
 and not exists (select 1 from results_superseded as x
                 where x.stage = s.stage and x.gen_id = s.gen_id and x.version = s.version)
left join results_generations as d
  on s.parent_gen_id is not null and d.stage = 'draft' and d.gen_id = s.parent_gen_id
 and not exists (select 1 from results_superseded as x
                 where x.stage = d.stage and x.gen_id = d.gen_id and x.version = d.version)
order by m.ordinal
