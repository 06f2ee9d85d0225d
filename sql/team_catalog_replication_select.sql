-- The catalog_replication rows of one import batch, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 batch_id.
-- Callers: team::publish, team::copy.
select
    stage, replicates, extra, batch_id, line
from catalog_replication
where batch_id = ?1
order by line
