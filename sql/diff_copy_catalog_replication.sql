-- Copies catalog_replication from the attached store `src` into a scratch store.   No parameters.
-- Caller: diff (a spec built in a scratch store sees the real store's catalogs).
insert into main.catalog_replication select * from src.catalog_replication
