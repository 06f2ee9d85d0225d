-- Every observation of the files of a stage's generations in a range of gen_ids, oldest first
-- per file (the caller keeps the last).
-- ?1 stage ?2 lower bound (exclusive) ?3 upper bound (inclusive; an empty BLOB for none, as in
-- results_current_range.sql).
-- Caller: results::ledger.
select gen_id, name, size, mtime_ns, ctime_ns, inode, device, clean
from results_observations
where stage = ?1 and gen_id > ?2 and gen_id <= ?3
order by gen_id, name, import_id
