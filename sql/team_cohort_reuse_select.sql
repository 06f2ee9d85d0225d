-- The cohort_reuse rows of one cohort record, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 cohort_no.
-- Callers: team::publish, team::copy.
select
    cohort_no, earlier_no, shared
from cohort_reuse
where cohort_no = ?1
order by earlier_no
