-- The catalog_concepts rows of the given import batches, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 batch_ids (bigint[]).
-- Caller: team::mirror.
select
    concept_id, name, extra, description_sentence, description_paragraph, description_article,
    batch_id, line
from catalog_concepts
where batch_id = any($1)
order by batch_id, line
