-- Adds one cohort_template_modes row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into cohort_template_modes (
    cohort_no, stage, template_id, mode
)
values (?1, ?2, ?3, ?4)
