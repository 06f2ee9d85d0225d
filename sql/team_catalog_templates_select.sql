-- The catalog_templates rows of one import batch, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 batch_id.
-- Callers: team::publish, team::copy.
select
    stage, template_id, template_name, description, parser, generator, extra, body, batch_id,
    line
from catalog_templates
where batch_id = ?1
order by line
