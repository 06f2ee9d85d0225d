-- Members a rebuild would add compared with the stored record, per stage.   ?1 cohort_no.
-- Caller: cohort::members::member_diff (what build and verify say changed).
select stage, count(*) as members
from (select stage, gen_id from temp.m
      except
      select stage, gen_id from cohort_members where cohort_no = ?1)
group by stage
