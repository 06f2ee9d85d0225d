-- The cohort_template_modes rows of one cohort record, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 cohort_no.
-- Callers: team::publish, team::copy.
select
    cohort_no, stage, template_id, mode
from cohort_template_modes
where cohort_no = ?1
order by stage, template_id
