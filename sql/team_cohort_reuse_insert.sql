-- Adds one cohort_reuse row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into cohort_reuse (
    cohort_no, earlier_no, shared
)
values (?1, ?2, ?3)
