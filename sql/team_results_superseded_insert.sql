-- Adds one results_superseded row arriving from the team store, in the column order of
-- src/team/tables.rs.   Caller: team::mirror (sync).
insert into results_superseded (
    stage, gen_id, version, import_id
)
values (?1, ?2, ?3, ?4)
