-- Plan entries per stage. No parameters.   Caller: cohort::members.
select (select count(*) from temp.plan_draft), (select count(*) from temp.plan_essay),
       (select count(*) from temp.plan_eval)
