-- Adds one cohort_members row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into cohort_members (
    cohort_no, ordinal, stage, gen_id, parent, combo, template, llm, replicate
)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
