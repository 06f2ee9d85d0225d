-- Stores a build's members from its scratch table, in membership order.   ?1 cohort_no.
-- Caller: record::write.
insert into cohort_members
    (cohort_no, ordinal, stage, gen_id, parent, combo, template, llm, replicate)
select ?1, rowid - 1, stage, gen_id, parent - 1, combo, template, llm, rep
from temp.m
order by rowid
