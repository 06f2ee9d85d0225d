-- Catalog tables: append-only, text exactly as imported (D9), one batch per file that added rows.

create table import_batches (
    batch_id      integer primary key,
    catalog       text not null,
    source_path   text not null,
    source_blake3 text not null,
    header        text not null,   -- JSON array: the file's column names in file order
    imported_at   text not null,   -- RFC 3339, UTC
    rows_added    integer not null check (rows_added > 0)
);

-- Every catalog row keeps the batch that added it and its line in that batch's file. The
-- importer writes a file's rows and then its batch row in one transaction (the batch's row
-- count is only known at the end), so `batch_id` is not declared as a foreign key.
-- Known columns are text ('' when the file lacks the column); `extra` holds the other
-- non-empty cells as a JSON object with sorted keys (null when there are none).

create table catalog_concepts (
    concept_id            text primary key,
    name                  text not null,
    extra                 text,
    description_sentence  text,
    description_paragraph text,
    description_article   text,
    batch_id              integer not null,
    line                  integer not null
) without rowid;

create table catalog_templates (
    stage         text not null check (stage in ('draft', 'essay', 'evaluation')),
    template_id   text not null,
    template_name text not null,
    description   text not null,
    parser        text not null,
    generator     text not null,
    extra         text,
    body          text,
    batch_id      integer not null,
    line          integer not null,
    primary key (stage, template_id)
) without rowid;

create table catalog_llm_models (
    id             text primary key,
    model          text not null,
    provider       text not null,
    display_name   text not null,
    specialization text not null,
    extra          text,
    batch_id       integer not null,
    line           integer not null
) without rowid;

create table catalog_combo_mappings (
    combo_id          text not null,
    concept_id        text not null,
    version           text not null,
    description_level text not null,
    k_max             text not null,
    created_at        text not null,
    extra             text,
    batch_id          integer not null,
    line              integer not null,
    primary key (combo_id, concept_id)
) without rowid;

create table catalog_replication (
    stage      text primary key,
    replicates text not null,
    extra      text,
    batch_id   integer not null,
    line       integer not null
) without rowid;

-- Append-only, enforced by the schema (D14): no UPDATE or DELETE, even from a raw sqlite3 shell.
create trigger import_batches_no_update before update on import_batches
begin select raise(abort, 'import_batches is append-only: rows cannot be updated'); end;
create trigger import_batches_no_delete before delete on import_batches
begin select raise(abort, 'import_batches is append-only: rows cannot be deleted'); end;
create trigger catalog_concepts_no_update before update on catalog_concepts
begin select raise(abort, 'catalog_concepts is append-only: rows cannot be updated'); end;
create trigger catalog_concepts_no_delete before delete on catalog_concepts
begin select raise(abort, 'catalog_concepts is append-only: rows cannot be deleted'); end;
create trigger catalog_templates_no_update before update on catalog_templates
begin select raise(abort, 'catalog_templates is append-only: rows cannot be updated'); end;
create trigger catalog_templates_no_delete before delete on catalog_templates
begin select raise(abort, 'catalog_templates is append-only: rows cannot be deleted'); end;
create trigger catalog_llm_models_no_update before update on catalog_llm_models
begin select raise(abort, 'catalog_llm_models is append-only: rows cannot be updated'); end;
create trigger catalog_llm_models_no_delete before delete on catalog_llm_models
begin select raise(abort, 'catalog_llm_models is append-only: rows cannot be deleted'); end;
create trigger catalog_combo_mappings_no_update before update on catalog_combo_mappings
begin select raise(abort, 'catalog_combo_mappings is append-only: rows cannot be updated'); end;
create trigger catalog_combo_mappings_no_delete before delete on catalog_combo_mappings
begin select raise(abort, 'catalog_combo_mappings is append-only: rows cannot be deleted'); end;
create trigger catalog_replication_no_update before update on catalog_replication
begin select raise(abort, 'catalog_replication is append-only: rows cannot be updated'); end;
create trigger catalog_replication_no_delete before delete on catalog_replication
begin select raise(abort, 'catalog_replication is append-only: rows cannot be deleted'); end;

-- The stable SQL surface (CLI.md): read-only views over the catalogs.
create view templates as
    select stage, template_id, template_name, description, parser, generator, body
    from catalog_templates;
create view llm_models as
    select id, model, provider, display_name, specialization
    from catalog_llm_models;
create view concepts as
    select concept_id, name
    from catalog_concepts;
create view combo_mappings as
    select combo_id, version, concept_id, description_level, k_max, created_at
    from catalog_combo_mappings;
create view replication_config as
    select stage, replicates
    from catalog_replication;
create view concept_descriptions as
    select concept_id, 'sentence' as level, description_sentence as description
    from catalog_concepts where description_sentence is not null
    union all
    select concept_id, 'paragraph', description_paragraph
    from catalog_concepts where description_paragraph is not null
    union all
    select concept_id, 'article', description_article
    from catalog_concepts where description_article is not null;
