-- Adds one results_files row arriving from the team store, in the column order of
-- src/team/tables.rs.   Caller: team::mirror (sync).
insert into results_files (
    stage, gen_id, version, name, kind, size, blake3
)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7)
