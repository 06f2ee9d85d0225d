-- Adds one concept row unless its id exists (the importer then compares contents).
-- ?1 concept_id  ?2 name  ?3 extra  ?4 description_sentence  ?5 description_paragraph
-- ?6 description_article  ?7 batch_id  ?8 line.   Caller: catalog::import.
insert into catalog_concepts
    (concept_id, name, extra, description_sentence, description_paragraph, description_article,
     batch_id, line)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
on conflict do nothing
