-- One concept row as of a batch.   ?1 concept_id  ?2 last batch_id.
-- Caller: record::canonical (catalog digest).
select name, extra, description_sentence, description_paragraph, description_article
from catalog_concepts
where concept_id = ?1 and batch_id <= ?2
