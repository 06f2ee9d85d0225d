-- The results_files rows of the given results imports (a file row belongs to the import
-- of its version), in the column order of src/team/tables.rs (what a sync copies into the
-- mirror).   $1 import_ids (bigint[]).
-- Caller: team::mirror.
select
    f.stage, f.gen_id, f.version, f.name, f.kind, f.size, f.blake3
from results_files as f
join results_generations as g
  on g.stage = f.stage and g.gen_id = f.gen_id and g.version = f.version
where g.import_id = any($1)
order by g.import_id, f.stage, f.gen_id, f.version, f.name
