-- Adds one results_imports row arriving from the team store, in the column order of
-- src/team/tables.rs.   Caller: team::mirror (sync).
insert into results_imports (
    import_id, gens_root, imported_at, generations, files_read, versions
)
values (?1, ?2, ?3, ?4, ?5, ?6)
