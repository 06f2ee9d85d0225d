-- Plan entries per stage. No parameters.   Caller: cohort::members.
select (select count(*) from temp.plan_draft) as drafts,
       (select count(*) from temp.plan_essay) as essays,
       (select count(*) from temp.plan_eval) as evaluations
