-- The catalog_templates row with a key, in the column order of src/team/tables.rs (a copy carries it
-- to another store, or compares it with that store's row).   ?1 stage  ?2 template_id.
-- Caller: team::copy.
select
    stage, template_id, template_name, description, parser, generator, extra, body, batch_id,
    line
from catalog_templates
where stage = ?1 and template_id = ?2
