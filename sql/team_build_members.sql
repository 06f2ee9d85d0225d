-- A build's members from its scratch table, in membership order, as cohort_members rows
-- numbered for the team store (src/team/tables.rs column order; what
-- sql/cohort_members_insert.sql stores locally).   ?1 cohort_no.   Caller: team::publish.
select ?1 as cohort_no, rowid - 1 as ordinal, stage, gen_id, parent - 1 as parent, combo,
       template, llm, rep as replicate
from temp.m
order by rowid
