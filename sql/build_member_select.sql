-- One member, for messages.   ?1 member rowid.   Caller: cohort::checks::check_duplicates.
select stage, gen_id, parent_gen_id, combo_id, template_id, llm_model_id, replicate
from temp.member_rows
where seq = ?1
