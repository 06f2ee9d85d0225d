-- Adds one template row unless (stage, template_id) exists.
-- ?1 stage  ?2 template_id  ?3 template_name  ?4 description  ?5 parser  ?6 generator
-- ?7 extra  ?8 body  ?9 batch_id  ?10 line.   Caller: catalog::import.
insert into catalog_templates
    (stage, template_id, template_name, description, parser, generator, extra, body, batch_id, line)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
on conflict do nothing
