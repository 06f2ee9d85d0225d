-- Members whose gen_id an earlier cohort issued for the same signature but with other values
-- (D2 across cohorts: another essay LLM, another spelling, …): the first few, and how many.
-- No parameters (temp.hits holds the probes).   Caller: cohort::checks::check_registry_agreement.
--
-- The join order is forced (CROSS JOIN from temp.hits, sql/build_registry_hits.sql): only
-- the members that hit the registry are expanded. Left to the planner without statistics, it
-- drove the join from the earlier cohort's members and scanned the new ones per row — quadratic.
-- Roles: template = 2 * stage + 1, LLM = 2 * stage + 2 (docs/storage.md; pinned to the Role
-- enum by src/ids.rs roles_follow_the_layout_the_sql_computes).
select x.gen_id, rr.cohort_id as other_cohort,
       ip.gen_id as their_parent, ic.text as their_combo, it.text as their_template,
       il.text as their_llm, im.replicate as their_replicate,
       x.parent_gen_id, x.combo_id, x.template_id, x.llm_model_id, x.replicate,
       count(*) over () as total
from temp.hits as h
cross join temp.member_rows as x on x.seq = h.seq
cross join cohort_members as im on im.cohort_no = h.cohort_no and im.ordinal = h.ordinal
cross join cohort_records as rr on rr.cohort_no = h.cohort_no
left join cohort_members as ip on ip.cohort_no = im.cohort_no and ip.ordinal = im.parent
cross join cohort_values as ic on ic.cohort_no = im.cohort_no and ic.role = 0 and ic.vid = im.combo
cross join cohort_values as it
  on it.cohort_no = im.cohort_no and it.role = 2 * im.stage + 1 and it.vid = im.template
cross join cohort_values as il
  on il.cohort_no = im.cohort_no and il.role = 2 * im.stage + 2 and il.vid = im.llm
where h.signature_digest = gen_signature_digest(x.signature)
  and (im.stage <> x.stage_no or ip.gen_id is not x.parent_gen_id or ic.text <> x.combo_id
       or it.text <> x.template_id or il.text <> x.llm_model_id or im.replicate <> x.replicate)
order by x.ordinal
limit 5
