-- The stored content of one concept, in insert-parameter order after the key.
-- ?1 concept_id.   Caller: catalog::import.
select name, extra, description_sentence, description_paragraph, description_article, batch_id, line
from catalog_concepts
where concept_id = ?1
