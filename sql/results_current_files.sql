-- Every regular file of the current version of every generation, for `results verify`.
-- Caller: results::verify.
select g.stage, g.gen_id, f.name, f.size, f.blake3
from results_generations as g
join results_files as f
  on f.stage = g.stage and f.gen_id = g.gen_id and f.version = g.version
where f.kind = 'file'
  and not exists (select 1 from results_superseded as x
                  where x.stage = g.stage and x.gen_id = g.gen_id and x.version = g.version)
order by g.stage, g.gen_id, f.name
