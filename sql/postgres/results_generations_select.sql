-- The results_generations rows of the given results imports, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 import_ids (bigint[]).
-- Caller: team::mirror.
select
    stage, gen_id, version, import_id, folder, has_prompt, has_raw, has_parsed, refusal,
    raw_meta_refusal, meta_nonempty, parent_gen_id, combo_id, draft_template, template,
    llm_model_id, origin_cohort_id, eval_template_kind, eval_template, eval_template_f,
    eval_llm_kind, eval_llm, eval_llm_f, input_mode_kind, input_mode, input_mode_f,
    copied_from_kind, copied_from, copied_from_f, score, score_text, score_error
from results_generations
where import_id = any($1)
order by import_id, stage, gen_id, version
