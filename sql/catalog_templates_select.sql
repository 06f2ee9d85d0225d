-- The stored content of one template.
-- ?1 stage  ?2 template_id.   Caller: catalog::import.
select template_name, description, parser, generator, extra, body, batch_id, line
from catalog_templates
where stage = ?1 and template_id = ?2
