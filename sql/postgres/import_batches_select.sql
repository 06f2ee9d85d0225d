-- The import_batches rows of the given import batches, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 batch_ids (bigint[]).
-- Caller: team::mirror.
select
    batch_id, catalog, source_path, source_blake3, header, imported_at, rows_added
from import_batches
where batch_id = any($1)
order by batch_id
