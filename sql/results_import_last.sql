-- The latest results import: the ledger's gens root and when it was scanned.
-- Caller: results::scores, results::progress, results::verify.
select import_id, gens_root, imported_at
from results_imports
order by import_id desc
limit 1
