-- Copies import_batches from the attached store `src` into a scratch store.   No parameters.
-- Caller: diff (a spec built in a scratch store sees the real store's catalogs).
insert into main.import_batches select * from src.import_batches
