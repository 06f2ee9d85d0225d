-- The cohort_spec_files rows of one cohort record, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 cohort_no.
-- Callers: team::publish, team::copy.
select
    cohort_no, path, content, blake3
from cohort_spec_files
where cohort_no = ?1
order by path
