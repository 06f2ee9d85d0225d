-- The cohort_template_modes rows of the given cohort records, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 cohort_nos (bigint[]).
-- Caller: team::mirror.
select
    cohort_no, stage, template_id, mode
from cohort_template_modes
where cohort_no = any($1)
order by cohort_no, stage, template_id
