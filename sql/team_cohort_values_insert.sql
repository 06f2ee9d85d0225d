-- Adds one cohort_values row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into cohort_values (
    cohort_no, role, vid, text
)
values (?1, ?2, ?3, ?4)
