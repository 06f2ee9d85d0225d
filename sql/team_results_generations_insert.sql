-- Adds one results_generations row arriving from the team store, in the column order of
-- src/team/tables.rs.   Caller: team::mirror (sync).
insert into results_generations (
    stage, gen_id, version, import_id, folder, has_prompt, has_raw, has_parsed, refusal,
    raw_meta_refusal, meta_nonempty, parent_gen_id, combo_id, draft_template, template,
    llm_model_id, origin_cohort_id, eval_template_kind, eval_template, eval_template_f,
    eval_llm_kind, eval_llm, eval_llm_f, input_mode_kind, input_mode, input_mode_f,
    copied_from_kind, copied_from, copied_from_f, score, score_text, score_error
)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
        ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)
