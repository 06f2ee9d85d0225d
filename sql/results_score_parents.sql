-- The current ledger facts of a stored cohort's essay (?2 = 1, ?3 = 'essay') or draft
-- (?2 = 0, ?3 = 'draft') members, those the ledger holds, listed in the ledger's key order
-- (gen_id) so its pages are read in order: `scores` loads them before its rows instead of
-- looking each up when an evaluation's metadata first names it (results_score_essay.sql,
-- results_score_draft.sql remain for the parents that are not members). ?1 cohort_id.
-- Columns by position: gen_id, refusal, template, llm_model_id, parent_gen_id, meta_nonempty,
-- combo_id.   Caller: results::table::render_rows.
with m as materialized (
    select m.gen_id
    from cohort_members as m
    join cohort_records as r on r.cohort_no = m.cohort_no
    where r.cohort_id = ?1 and m.stage = ?2
    order by m.gen_id
)
select m.gen_id, g.refusal, g.template, g.llm_model_id, g.parent_gen_id, g.meta_nonempty,
       g.combo_id
from m
join results_generations as g
  on g.stage = ?3 and g.gen_id = m.gen_id
 and not exists (select 1 from results_superseded as x
                 where x.stage = g.stage and x.gen_id = g.gen_id and x.version = g.version)
