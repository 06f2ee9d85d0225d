-- What the file system said about a file whose bytes were read.
-- ?1 stage ?2 gen_id ?3 name ?4 import_id ?5 size ?6 mtime_ns ?7 ctime_ns ?8 inode ?9 device
-- ?10 clean.   Caller: results::ledger.
insert into results_observations
    (stage, gen_id, name, import_id, size, mtime_ns, ctime_ns, inode, device, clean)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
