-- Adds one replication row unless its stage exists.
-- ?1 stage  ?2 replicates  ?3 extra  ?4 batch_id  ?5 line.   Caller: catalog::import.
insert into catalog_replication (stage, replicates, extra, batch_id, line)
values (?1, ?2, ?3, ?4, ?5)
on conflict do nothing
