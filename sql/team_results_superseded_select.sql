-- The results_superseded rows of one results import, in the column order of
-- src/team/tables.rs (what a publish sends to the team store).   ?1 import_id.
-- Caller: team::publish.
select
    stage, gen_id, version, import_id
from results_superseded
where import_id = ?1
order by stage, gen_id, version
