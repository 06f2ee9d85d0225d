-- The stored content of one replication row.
-- ?1 stage.   Caller: catalog::import.
select replicates, extra, batch_id, line
from catalog_replication
where stage = ?1
