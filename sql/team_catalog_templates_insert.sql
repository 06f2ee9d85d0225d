-- Adds one catalog_templates row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into catalog_templates (
    stage, template_id, template_name, description, parser, generator, extra, body, batch_id,
    line
)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
