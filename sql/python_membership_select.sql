-- Store.membership(cohort_id) in the Python package: one cohort's members in membership.csv
-- order. ?1 cohort id.
select stage, gen_id, parent_gen_id, combo_id, template_id, llm_model_id, replicate
from membership
where cohort_id = ?1
order by ordinal
