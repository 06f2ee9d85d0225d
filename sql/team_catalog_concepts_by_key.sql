-- The catalog_concepts row with a key, in the column order of src/team/tables.rs (a copy carries it
-- to another store, or compares it with that store's row).   ?1 concept_id.
-- Caller: team::copy.
select
    concept_id, name, extra, description_sentence, description_paragraph, description_article,
    batch_id, line
from catalog_concepts
where concept_id = ?1
