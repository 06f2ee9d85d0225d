-- One version of a generation folder (migrations/V5__results_ledger.sql).
-- ?1 stage ?2 gen_id ?3 version ?4 import_id ?5 folder ?6 has_prompt ?7 has_raw ?8 has_parsed
-- ?9 refusal ?10 raw_meta_refusal ?11 meta_nonempty ?12 parent_gen_id ?13 combo_id
-- ?14 draft_template ?15 template ?16 llm_model_id ?17 origin_cohort_id
-- ?18-?20 eval_template kind/text/float ?21-?23 eval_llm ?24-?26 input_mode ?27-?29 copied_from
-- ?30 score ?31 score_text ?32 score_error.   Caller: results::ledger.
insert into results_generations
    (stage, gen_id, version, import_id, folder, has_prompt, has_raw, has_parsed, refusal,
     raw_meta_refusal, meta_nonempty, parent_gen_id, combo_id, draft_template, template,
     llm_model_id, origin_cohort_id, eval_template_kind, eval_template, eval_template_f,
     eval_llm_kind, eval_llm, eval_llm_f, input_mode_kind, input_mode, input_mode_f,
     copied_from_kind, copied_from, copied_from_f, score, score_text, score_error)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
        ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)
