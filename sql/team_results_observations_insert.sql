-- Adds one results_observations row arriving from the team store, in the column order of
-- src/team/tables.rs.   Caller: team::mirror (sync).
insert into results_observations (
    stage, gen_id, name, import_id, size, mtime_ns, ctime_ns, inode, device, clean
)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
