-- The results_files rows of one results import (a file row belongs to the import
-- of its version), in the column order of src/team/tables.rs (what a publish sends to the team store).   ?1 import_id.
-- Caller: team::publish.
select
    f.stage, f.gen_id, f.version, f.name, f.kind, f.size, f.blake3
from results_files as f
join results_generations as g
  on g.stage = f.stage and g.gen_id = f.gen_id and g.version = f.version
where g.import_id = ?1
order by f.stage, f.gen_id, f.version, f.name
