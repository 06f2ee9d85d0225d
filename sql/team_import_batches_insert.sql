-- Adds one import_batches row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into import_batches (
    batch_id, catalog, source_path, source_blake3, header, imported_at, rows_added
)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7)
