-- Members a rebuild would add compared with the stored record, per stage.   ?1 cohort_no.
-- Caller: cohort::build (the "what changed" summary).
select stage, count(*)
from (select stage, gen_id from temp.m
      except
      select stage, gen_id from cohort_members where cohort_no = ?1)
group by stage
