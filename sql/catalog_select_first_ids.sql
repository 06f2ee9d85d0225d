-- `cohortdb new` without --from (src/app/scaffold.rs): the first id of each catalog role, to
-- start a spec from; NULL where a catalog is empty. No parameters.
select
    (select min(combo_id) from combo_mappings) as combo_id,
    (select min(template_id) from templates where stage = 'draft') as draft_template,
    (select min(template_id) from templates where stage = 'essay') as essay_template,
    (select min(template_id) from templates where stage = 'evaluation') as evaluation_template,
    (select min(id) from llm_models) as llm
