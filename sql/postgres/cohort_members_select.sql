-- The cohort_members rows of the given cohort records, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 cohort_nos (bigint[]).
-- Caller: team::mirror.
select
    cohort_no, ordinal, stage, gen_id, parent, combo, template, llm, replicate
from cohort_members
where cohort_no = any($1)
order by cohort_no, ordinal
