-- The replication rows as of a batch, in import order (the manifest keeps file order).
-- ?1 last batch_id.   Callers: cohort::manifest, record::canonical (catalog digest).
select stage, replicates, extra
from catalog_replication
where batch_id <= ?1
order by batch_id, line
