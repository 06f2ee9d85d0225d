-- The distinct role-value ids the plan uses, per role (for catalog validation and the
-- manifest).   No parameters.   Caller: cohort::members.
select distinct 0 as role, combo as vid from temp.plan_draft
union select distinct 1, template from temp.plan_draft
union select distinct 2, llm from temp.plan_draft
union select distinct 3, template from temp.plan_essay
union select distinct 4, llm from temp.plan_essay
union select distinct 5, template from temp.plan_eval
union select distinct 6, llm from temp.plan_eval
