-- The cohort_members rows of one cohort record, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 cohort_no.
-- Callers: team::publish, team::copy.
select
    cohort_no, ordinal, stage, gen_id, parent, combo, template, llm, replicate
from cohort_members
where cohort_no = ?1
order by ordinal
