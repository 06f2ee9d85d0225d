-- Whether a template is in the catalog as of a batch.   ?1 stage  ?2 template_id
-- ?3 last batch_id.   Caller: cohort::checks::validate_catalogs.
select exists (
    select 1 from catalog_templates where stage = ?1 and template_id = ?2 and batch_id <= ?3
) as present
