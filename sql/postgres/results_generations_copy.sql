-- Bulk-loads results_generations rows (binary COPY, the column order and types of src/team/tables.rs).
-- Caller: team::publish.
copy results_generations (
    stage, gen_id, version, import_id, folder, has_prompt, has_raw, has_parsed, refusal,
    raw_meta_refusal, meta_nonempty, parent_gen_id, combo_id, draft_template, template,
    llm_model_id, origin_cohort_id, eval_template_kind, eval_template, eval_template_f,
    eval_llm_kind, eval_llm, eval_llm_f, input_mode_kind, input_mode, input_mode_f,
    copied_from_kind, copied_from, copied_from_f, score, score_text, score_error
) from stdin (format binary)
