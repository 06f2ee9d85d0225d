-- The results_observations rows of the given results imports, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 import_ids (bigint[]).
-- Caller: team::mirror.
select
    stage, gen_id, name, import_id, size, mtime_ns, ctime_ns, inode, device, clean
from results_observations
where import_id = any($1)
order by import_id, stage, gen_id, name
