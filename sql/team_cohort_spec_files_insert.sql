-- Adds one cohort_spec_files row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into cohort_spec_files (
    cohort_no, path, content, blake3
)
values (?1, ?2, ?3, ?4)
