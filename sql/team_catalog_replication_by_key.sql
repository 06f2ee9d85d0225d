-- The catalog_replication row with a key, in the column order of src/team/tables.rs (a copy carries it
-- to another store, or compares it with that store's row).   ?1 stage.
-- Caller: team::copy.
select
    stage, replicates, extra, batch_id, line
from catalog_replication
where stage = ?1
