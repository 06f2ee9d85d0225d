-- The newest import batch id (0 before the first import).   Callers: catalog::import, build.
select coalesce(max(batch_id), 0) from import_batches
