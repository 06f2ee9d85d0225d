-- The results_observations rows of one results import, in the column order of
-- src/team/tables.rs (what a publish sends to the team store).   ?1 import_id.
-- Caller: team::publish.
select
    stage, gen_id, name, import_id, size, mtime_ns, ctime_ns, inode, device, clean
from results_observations
where import_id = ?1
order by stage, gen_id, name
