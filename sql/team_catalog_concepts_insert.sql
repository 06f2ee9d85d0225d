-- Adds one catalog_concepts row arriving from another store, in the column order of
-- src/team/tables.rs.   Callers: team::mirror (sync), team::copy.
insert into catalog_concepts (
    concept_id, name, extra, description_sentence, description_paragraph, description_article,
    batch_id, line
)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
