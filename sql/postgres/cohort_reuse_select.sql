-- The cohort_reuse rows of the given cohort records, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 cohort_nos (bigint[]).
-- Caller: team::mirror.
select
    cohort_no, earlier_no, shared
from cohort_reuse
where cohort_no = any($1)
order by cohort_no, earlier_no
