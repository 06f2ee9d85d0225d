-- Cohort records and the gen_id registry (D1, D12, D14): migrations/V2__create_cohort_records.sql
-- with PostgreSQL types. Every integer is bigint (the COPY fast path sends int8 throughout).

create table cohort_records (
    cohort_no     bigint primary key,
    cohort_id     text not null unique,
    hash_scheme   text not null,
    content_hash  text not null,
    spec_hash     text not null,
    members_hash  text not null,
    manifest_hash text not null,
    catalog_hash  text not null,
    -- The effective shuffle seed (D8), null when unshuffled: any integer (D23), exactly.
    seed          numeric check (seed = trunc(seed)),
    last_batch_id bigint not null,
    spec_config   text not null,
    manifest      text not null,
    drafts        bigint not null,
    essays        bigint not null,
    evaluations   bigint not null,
    created_at    text not null
);

create table cohort_spec_files (
    cohort_no bigint not null,
    path      text not null,
    content   bytea not null,
    blake3    text not null,
    primary key (cohort_no, path)
);

create table cohort_template_modes (
    cohort_no   bigint not null,
    stage       text not null,
    template_id text not null,
    mode        text not null,
    primary key (cohort_no, stage, template_id)
);

create table cohort_values (
    cohort_no bigint not null,
    role      bigint not null check (role between 0 and 6),
    vid       bigint not null,
    text      text not null,
    primary key (cohort_no, role, vid)
);

create table cohort_members (
    cohort_no bigint not null,
    ordinal   bigint not null,
    stage     bigint not null check (stage in (0, 1, 2)),
    gen_id    text not null,
    parent    bigint,
    combo     bigint not null,
    template  bigint not null,
    llm       bigint not null,
    replicate bigint not null,
    primary key (cohort_no, ordinal)
);

create table gen_ids (
    gen_id           text primary key,
    signature_digest bytea not null,
    collision_index  bigint not null,
    cohort_no        bigint not null,
    ordinal          bigint not null
);
-- Sync and push read a record's registry entries by cohort (SQLite's store finds them through
-- the members instead).
create index gen_ids_by_cohort on gen_ids (cohort_no);

create trigger cohort_records_append_only before update or delete on cohort_records
    for each row execute function cohortdb_append_only();
create trigger cohort_records_no_truncate before truncate on cohort_records
    for each statement execute function cohortdb_append_only();
create trigger cohort_spec_files_append_only before update or delete on cohort_spec_files
    for each row execute function cohortdb_append_only();
create trigger cohort_spec_files_no_truncate before truncate on cohort_spec_files
    for each statement execute function cohortdb_append_only();
create trigger cohort_template_modes_append_only before update or delete on cohort_template_modes
    for each row execute function cohortdb_append_only();
create trigger cohort_template_modes_no_truncate before truncate on cohort_template_modes
    for each statement execute function cohortdb_append_only();
create trigger cohort_values_append_only before update or delete on cohort_values
    for each row execute function cohortdb_append_only();
create trigger cohort_values_no_truncate before truncate on cohort_values
    for each statement execute function cohortdb_append_only();
create trigger cohort_members_append_only before update or delete on cohort_members
    for each row execute function cohortdb_append_only();
create trigger cohort_members_no_truncate before truncate on cohort_members
    for each statement execute function cohortdb_append_only();
create trigger gen_ids_append_only before update or delete on gen_ids
    for each row execute function cohortdb_append_only();
create trigger gen_ids_no_truncate before truncate on gen_ids
    for each statement execute function cohortdb_append_only();

create view cohorts as
    select cohort_id, content_hash, drafts, essays, evaluations, created_at
    from cohort_records;

create view membership as
    select r.cohort_id,
           m.ordinal,
           case m.stage when 0 then 'draft' when 1 then 'essay' else 'evaluation' end as stage,
           m.gen_id,
           p.gen_id as parent_gen_id,
           c.text as combo_id,
           t.text as template_id,
           l.text as llm_model_id,
           m.replicate
    from cohort_members as m
    join cohort_records as r on r.cohort_no = m.cohort_no
    left join cohort_members as p on p.cohort_no = m.cohort_no and p.ordinal = m.parent
    join cohort_values as c on c.cohort_no = m.cohort_no and c.role = 0 and c.vid = m.combo
    join cohort_values as t
      on t.cohort_no = m.cohort_no and t.role = 2 * m.stage + 1 and t.vid = m.template
    join cohort_values as l
      on l.cohort_no = m.cohort_no and l.role = 2 * m.stage + 2 and l.vid = m.llm;
