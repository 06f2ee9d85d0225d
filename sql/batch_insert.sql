-- Records an import batch; only called when the file added rows.
-- ?1 batch_id  ?2 catalog  ?3 source_path  ?4 source_blake3  ?5 header  ?6 imported_at
-- ?7 rows_added.   Caller: catalog::import.
insert into import_batches
    (batch_id, catalog, source_path, source_blake3, header, imported_at, rows_added)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7)
