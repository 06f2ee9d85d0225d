-- The results_imports rows of one results import, in the column order of
-- src/team/tables.rs (what a publish sends to the team store).   ?1 import_id.
-- Caller: team::publish.
select
    import_id, gens_root, imported_at, generations, files_read, versions
from results_imports
where import_id = ?1
order by import_id
