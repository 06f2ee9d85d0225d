-- The results_imports rows of the given results imports, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 import_ids (bigint[]).
-- Caller: team::mirror.
select
    import_id, gens_root, imported_at, generations, files_read, versions
from results_imports
where import_id = any($1)
order by import_id
