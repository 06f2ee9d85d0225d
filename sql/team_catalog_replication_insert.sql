-- Adds one catalog_replication row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into catalog_replication (
    stage, replicates, extra, batch_id, line
)
values (?1, ?2, ?3, ?4, ?5)
