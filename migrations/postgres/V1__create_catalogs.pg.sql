-- The team store's catalog tables (docs/postgres.md): the SQLite schema of
-- migrations/V1__create_catalogs.sql with PostgreSQL types, so "schema version N" means the
-- same on both engines. Append-only, text exactly as imported (D9), one batch per file that
-- added rows. The file is named *.pg.sql so the SQLite runner (which embeds migrations/
-- recursively) does not take it; src/team/schema.rs loads it.

-- Which store this is: a random UUID made when the store is created. A local mirror records
-- the UUID it mirrors and refuses to mix two stores (docs/postgres.md, "The mirror").
create table store_meta (
    store_uuid uuid primary key,
    created_at timestamptz not null
);
insert into store_meta (store_uuid, created_at) values (gen_random_uuid(), now());

create table import_batches (
    batch_id      bigint primary key,
    catalog       text not null,
    source_path   text not null,
    source_blake3 text not null,
    header        text not null,   -- JSON array: the file's column names in file order
    imported_at   text not null,   -- RFC 3339, UTC
    rows_added    bigint not null check (rows_added > 0)
);

create table catalog_concepts (
    concept_id            text primary key,
    name                  text not null,
    extra                 text,
    description_sentence  text,
    description_paragraph text,
    description_article   text,
    batch_id              bigint not null,
    line                  bigint not null
);

create table catalog_templates (
    stage         text not null check (stage in ('draft', 'essay', 'evaluation')),
    template_id   text not null,
    template_name text not null,
    description   text not null,
    parser        text not null,
    generator     text not null,
    extra         text,
    body          text,
    batch_id      bigint not null,
    line          bigint not null,
    primary key (stage, template_id)
);

create table catalog_llm_models (
    id             text primary key,
    model          text not null,
    provider       text not null,
    display_name   text not null,
    specialization text not null,
    extra          text,
    batch_id       bigint not null,
    line           bigint not null
);

create table catalog_combo_mappings (
    combo_id          text not null,
    concept_id        text not null,
    version           text not null,
    description_level text not null,
    k_max             text not null,
    created_at        text not null,
    extra             text,
    batch_id          bigint not null,
    line              bigint not null,
    primary key (combo_id, concept_id)
);

create table catalog_replication (
    stage      text primary key,
    replicates text not null,
    extra      text,
    batch_id   bigint not null,
    line       bigint not null
);

-- Append-only, enforced by the server (D14): no UPDATE, DELETE or TRUNCATE, even from psql as
-- the owner. (A superuser can still disable triggers: they are a guard, not the proof; a
-- mirror re-hashes every record on arrival.)
create function cohortdb_append_only() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only: rows cannot be %', tg_table_name,
        case tg_op when 'UPDATE' then 'updated' when 'DELETE' then 'deleted' else 'truncated' end
        using errcode = 'restrict_violation';
end
$$;

create trigger store_meta_append_only before update or delete on store_meta
    for each row execute function cohortdb_append_only();
create trigger store_meta_no_truncate before truncate on store_meta
    for each statement execute function cohortdb_append_only();
create trigger import_batches_append_only before update or delete on import_batches
    for each row execute function cohortdb_append_only();
create trigger import_batches_no_truncate before truncate on import_batches
    for each statement execute function cohortdb_append_only();
create trigger catalog_concepts_append_only before update or delete on catalog_concepts
    for each row execute function cohortdb_append_only();
create trigger catalog_concepts_no_truncate before truncate on catalog_concepts
    for each statement execute function cohortdb_append_only();
create trigger catalog_templates_append_only before update or delete on catalog_templates
    for each row execute function cohortdb_append_only();
create trigger catalog_templates_no_truncate before truncate on catalog_templates
    for each statement execute function cohortdb_append_only();
create trigger catalog_llm_models_append_only before update or delete on catalog_llm_models
    for each row execute function cohortdb_append_only();
create trigger catalog_llm_models_no_truncate before truncate on catalog_llm_models
    for each statement execute function cohortdb_append_only();
create trigger catalog_combo_mappings_append_only before update or delete on catalog_combo_mappings
    for each row execute function cohortdb_append_only();
create trigger catalog_combo_mappings_no_truncate before truncate on catalog_combo_mappings
    for each statement execute function cohortdb_append_only();
create trigger catalog_replication_append_only before update or delete on catalog_replication
    for each row execute function cohortdb_append_only();
create trigger catalog_replication_no_truncate before truncate on catalog_replication
    for each statement execute function cohortdb_append_only();

-- The stable SQL surface (docs/storage.md, "Views"), as on SQLite.
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

-- SQLite's schema table, for scripts written against the SQLite store that look objects up
-- (`select name from sqlite_master where type = 'table'`): the store's tables, views, indexes
-- and triggers, with the columns SQLite gives (no `sql` text, no root page).
create view sqlite_master as
    select case c.relkind when 'r' then 'table' when 'v' then 'view' else 'index' end as type,
           c.relname::text as name,
           coalesce(t.relname, c.relname)::text as tbl_name,
           0 as rootpage,
           null::text as sql
    from pg_catalog.pg_class as c
    join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
    left join pg_catalog.pg_index as i on i.indexrelid = c.oid
    left join pg_catalog.pg_class as t on t.oid = i.indrelid
    where n.nspname = current_schema() and c.relkind in ('r', 'v', 'i')
    union all
    select 'trigger', g.tgname::text, c.relname::text, 0, null
    from pg_catalog.pg_trigger as g
    join pg_catalog.pg_class as c on c.oid = g.tgrelid
    join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
    where n.nspname = current_schema() and not g.tgisinternal;
create view sqlite_schema as
    select type, name, tbl_name, rootpage, sql from sqlite_master;
