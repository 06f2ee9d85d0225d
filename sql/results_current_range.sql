-- The current version of each generation of a stage in a range of gen_ids, with its files
-- (one row per file; a folder without files gives one row with NULL file columns).
-- ?1 stage ?2 gen_id lower bound (exclusive) ?3 upper bound (inclusive; for the last chunk an
-- empty BLOB, which sorts after every text: the bound stays a range of the primary key, so a
-- chunk reads its own rows only, never the rest of the stage).
-- Caller: results::ledger (the incremental import walks the folders in gen_id order).
select g.gen_id, g.version, g.folder, f.name, f.kind, f.size, f.blake3
from results_generations as g
left join results_files as f
  on f.stage = g.stage and f.gen_id = g.gen_id and f.version = g.version
where g.stage = ?1 and g.gen_id > ?2 and g.gen_id <= ?3
  and not exists (
      select 1 from results_superseded as s
      where s.stage = g.stage and s.gen_id = g.gen_id and s.version = g.version
  )
order by g.gen_id, g.version, f.name
