-- Cohort records: immutable, content-hashed, append-only (D12, D14), and the gen_id registry (D1).

-- One row per cohort. `cohort_no` is the build order: members, values and registry entries
-- refer to it, and "the registry as of a build" is every entry of an earlier cohort_no.
create table cohort_records (
    cohort_no     integer primary key,
    cohort_id     text not null unique,
    hash_scheme   text not null,
    content_hash  text not null,
    spec_hash     text not null,
    members_hash  text not null,
    manifest_hash text not null,
    catalog_hash  text not null,
    seed          integer,          -- the effective shuffle seed (D8), null when unshuffled
    last_batch_id integer not null, -- the newest import batch the build saw (0: none)
    spec_config   text not null,    -- the config file's path inside the stored bundle
    manifest      text not null,    -- manifest.json, exactly as exported
    drafts        integer not null,
    essays        integer not null,
    evaluations   integer not null,
    created_at    text not null
);

-- Every file the spec read, byte for byte (provenance; identity is the canonical spec).
create table cohort_spec_files (
    cohort_no integer not null,
    path      text not null,
    content   blob not null,
    blake3    text not null,
    primary key (cohort_no, path)
) without rowid;

-- The template modes (generator column, semantics §3.6) that metadata.json records.
create table cohort_template_modes (
    cohort_no   integer not null,
    stage       text not null,
    template_id text not null,
    mode        text not null,
    primary key (cohort_no, stage, template_id)
) without rowid;

-- The texts members refer to, per cohort: role 0 combo ids; 1, 3, 5 draft, essay, evaluation
-- template ids; 2, 4, 6 draft, essay, evaluation LLM ids.
create table cohort_values (
    cohort_no integer not null,
    role      integer not null check (role between 0 and 6),
    vid       integer not null,
    text      text not null,
    primary key (cohort_no, role, vid)
) without rowid;

-- One row per member in membership.csv order (ordinal counts across all stages; stage 0
-- draft, 1 essay, 2 evaluation). `parent` is the parent member's ordinal in the same cohort.
create table cohort_members (
    cohort_no integer not null,
    ordinal   integer not null,
    stage     integer not null check (stage in (0, 1, 2)),
    gen_id    text not null,
    parent    integer,
    combo     integer not null,
    template  integer not null,
    llm       integer not null,
    replicate integer not null,
    primary key (cohort_no, ordinal)
) without rowid;

-- Every gen_id the store has issued: the BLAKE3 digest (16 bytes) of the signature it was
-- issued for, its collision index, and the member that first used it (D1, D2). The member's
-- values are in cohort_members; gen_signature() recomputes the signature text from them.
create table gen_ids (
    gen_id           text primary key,
    signature_digest blob not null,
    collision_index  integer not null,
    cohort_no        integer not null,
    ordinal          integer not null
) without rowid;

create trigger cohort_records_no_update before update on cohort_records
begin select raise(abort, 'cohort_records is append-only: a cohort record never changes'); end;
create trigger cohort_records_no_delete before delete on cohort_records
begin select raise(abort, 'cohort_records is append-only: a cohort record is never deleted'); end;
create trigger cohort_spec_files_no_update before update on cohort_spec_files
begin select raise(abort, 'cohort_spec_files is append-only: rows cannot be updated'); end;
create trigger cohort_spec_files_no_delete before delete on cohort_spec_files
begin select raise(abort, 'cohort_spec_files is append-only: rows cannot be deleted'); end;
create trigger cohort_template_modes_no_update before update on cohort_template_modes
begin select raise(abort, 'cohort_template_modes is append-only: rows cannot be updated'); end;
create trigger cohort_template_modes_no_delete before delete on cohort_template_modes
begin select raise(abort, 'cohort_template_modes is append-only: rows cannot be deleted'); end;
create trigger cohort_values_no_update before update on cohort_values
begin select raise(abort, 'cohort_values is append-only: rows cannot be updated'); end;
create trigger cohort_values_no_delete before delete on cohort_values
begin select raise(abort, 'cohort_values is append-only: rows cannot be deleted'); end;
create trigger cohort_members_no_update before update on cohort_members
begin select raise(abort, 'cohort_members is append-only: rows cannot be updated'); end;
create trigger cohort_members_no_delete before delete on cohort_members
begin select raise(abort, 'cohort_members is append-only: rows cannot be deleted'); end;
create trigger gen_ids_no_update before update on gen_ids
begin select raise(abort, 'gen_ids is append-only: an issued gen_id never changes'); end;
create trigger gen_ids_no_delete before delete on gen_ids
begin select raise(abort, 'gen_ids is append-only: an issued gen_id is never deleted'); end;

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
