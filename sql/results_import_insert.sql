-- Records a results import, after its rows (only when it added some, or scanned another root).
-- ?1 import_id  ?2 gens_root  ?3 imported_at  ?4 generations  ?5 files_read  ?6 versions.
-- Caller: results::import_gens.
insert into results_imports (import_id, gens_root, imported_at, generations, files_read, versions)
values (?1, ?2, ?3, ?4, ?5, ?6)
