-- The id the next results import takes, and the gens root of the latest one (NULL when none).
-- Caller: results::import_gens.
select coalesce(max(import_id), 0) + 1 as next_id,
       (select gens_root from results_imports order by import_id desc limit 1) as last_root,
       (select count(*) from results_generations) as versions
from results_imports
