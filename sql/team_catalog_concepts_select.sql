-- The catalog_concepts rows of one import batch, in the column order of
-- src/team/tables.rs (what a copy to another store sends).   ?1 batch_id.
-- Callers: team::publish, team::copy.
select
    concept_id, name, extra, description_sentence, description_paragraph, description_article,
    batch_id, line
from catalog_concepts
where batch_id = ?1
order by line
