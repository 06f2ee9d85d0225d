-- Whether the catalog holds a combo mapping from a batch other than the current one: when it
-- holds none, no combo of the file can gain a concept (catalog_combo_mappings_select_older.sql
-- would find nothing for any row), and the import skips that query (docs/decisions.md D34).
-- ?1 the current batch_id.   Caller: catalog::import.
select exists (select 1 from catalog_combo_mappings where batch_id <> ?1)
