-- One template row as of a batch (its content is part of the cohort hash).
-- ?1 stage  ?2 template_id  ?3 last batch_id.   Callers: record::canonical (catalog digest), cohort::manifest (modes).
select template_name, description, parser, generator, extra, body
from catalog_templates
where stage = ?1 and template_id = ?2 and batch_id <= ?3
