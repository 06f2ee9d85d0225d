-- The import_batches rows of one import batch, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 batch_id.
-- Callers: team::publish, team::copy.
select
    batch_id, catalog, source_path, source_blake3, header, imported_at, rows_added
from import_batches
where batch_id = ?1
order by batch_id
