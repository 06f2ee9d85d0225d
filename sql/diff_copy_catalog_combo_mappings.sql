-- Copies catalog_combo_mappings from the attached store `src` into a scratch store.   No parameters.
-- Caller: diff (a spec built in a scratch store sees the real store's catalogs).
insert into main.catalog_combo_mappings select * from src.catalog_combo_mappings
