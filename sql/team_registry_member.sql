-- The member that registered a gen_id, with its values (the D2 agreement check of a cohort
-- copied in from another store).   ?1 gen_id.   Caller: team::copy.
select mv.cohort_id, mv.stage, mv.parent_gen_id, mv.combo_id, mv.template_id, mv.llm_model_id,
       mv.replicate
from gen_ids as g
join cohort_records as r on r.cohort_no = g.cohort_no
join membership as mv on mv.cohort_id = r.cohort_id and mv.ordinal = g.ordinal
where g.gen_id = ?1
