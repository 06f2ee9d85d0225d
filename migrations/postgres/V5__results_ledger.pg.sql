-- The results ledger (docs/storage.md, "The results ledger"; docs/decisions.md D25): the
-- PostgreSQL twin of migrations/V5__results_ledger.sql, so a team store's schema version 5 is the
-- SQLite store's — the same tables, columns and views, every integer `bigint`, reals `double
-- precision`, blobs `bytea`, and append-only enforced by the server's triggers (as in V1).
-- A team store does not run the results commands yet (docs/postgres.md): the tables stay empty
-- there until it does.

create table results_imports (
    import_id   bigint primary key,
    gens_root   text not null,     -- the resolved absolute gens root that was scanned
    imported_at text not null,     -- RFC 3339, UTC
    generations bigint not null,  -- generation folders seen
    files_read  bigint not null,  -- files whose bytes were read (the rest were unchanged)
    versions    bigint not null   -- generation versions added
);

-- One row per version of a generation. The fields are what the reference's results layer
-- reads from the folder, computed as it computes them (docs/reference.md, "Results" §2-§4):
-- normalised texts are NULL when absent; raw cells keep their JSON kind so the CSV can type
-- its columns as pandas does.
create table results_generations (
    stage              text not null check (stage in ('draft', 'essay', 'evaluation')),
    gen_id             text not null,
    version            bigint not null check (version >= 1),
    import_id          bigint not null,
    folder             text not null check (folder in ('dir', 'link', 'other', 'vanished')),
    has_prompt         bigint not null check (has_prompt in (0, 1)),
    has_raw            bigint not null check (has_raw in (0, 1)),
    has_parsed         bigint not null check (has_parsed in (0, 1)),
    refusal            text,     -- why a scores run that visits this generation refuses (D25)
    raw_meta_refusal   text,     -- the same for raw_metadata.json (evaluations)
    meta_nonempty      bigint not null check (meta_nonempty in (0, 1)),
    parent_gen_id      text,
    combo_id           text,
    draft_template     text,
    template           text,     -- template_id, else essay_template_id (essays) / draft_template (drafts)
    llm_model_id       text,
    origin_cohort_id   text,
    eval_template_kind text,     -- raw evaluation template_id: int, float, bool, str, other
    eval_template      text,
    eval_template_f    text,     -- an int's float form (3 -> 3.0)
    eval_llm_kind      text,
    eval_llm           text,
    eval_llm_f         text,
    input_mode_kind    text,
    input_mode         text,
    input_mode_f       text,
    copied_from_kind   text,
    copied_from        text,
    copied_from_f      text,
    score              double precision,     -- NULL when missing, invalid or NaN
    score_text         text,     -- Python's repr of the score, as the CSV writes it
    score_error        text,
    primary key (stage, gen_id, version)
);

create table results_superseded (
    stage     text not null,
    gen_id    text not null,
    version   bigint not null,   -- the version a newer one replaced
    import_id bigint not null,   -- the import that recorded the newer one
    primary key (stage, gen_id, version)
);

-- The entries of each version's folder: which files exist, with their size and BLAKE3
-- (regular files only; links, folders and special files are recorded by kind, never read).
create table results_files (
    stage   text not null,
    gen_id  text not null,
    version bigint not null,
    name    text not null,
    kind    text not null check (kind in ('file', 'dir', 'link', 'fifo', 'socket', 'device', 'other')),
    size    bigint,
    blake3  bytea,
    primary key (stage, gen_id, version, name)
);

-- What the file system said about each file when its bytes were last read: an import skips
-- reading a file whose size, mtime, ctime, inode and device are all unchanged since then and
-- whose observation was not "racy" (modified within 2 s of its import's start; docs/storage.md).
create table results_observations (
    stage     text not null,
    gen_id    text not null,
    name      text not null,
    import_id bigint not null,
    size      bigint not null,
    mtime_ns  bigint not null,
    ctime_ns  bigint not null,
    inode     bigint not null,
    device    bigint not null,
    clean     bigint not null check (clean in (0, 1)),
    primary key (stage, gen_id, name, import_id)
);


create trigger results_imports_append_only before update or delete on results_imports
    for each row execute function cohortdb_append_only();
create trigger results_imports_no_truncate before truncate on results_imports
    for each statement execute function cohortdb_append_only();
create trigger results_generations_append_only before update or delete on results_generations
    for each row execute function cohortdb_append_only();
create trigger results_generations_no_truncate before truncate on results_generations
    for each statement execute function cohortdb_append_only();
create trigger results_superseded_append_only before update or delete on results_superseded
    for each row execute function cohortdb_append_only();
create trigger results_superseded_no_truncate before truncate on results_superseded
    for each statement execute function cohortdb_append_only();
create trigger results_files_append_only before update or delete on results_files
    for each row execute function cohortdb_append_only();
create trigger results_files_no_truncate before truncate on results_files
    for each statement execute function cohortdb_append_only();
create trigger results_observations_append_only before update or delete on results_observations
    for each row execute function cohortdb_append_only();
create trigger results_observations_no_truncate before truncate on results_observations
    for each statement execute function cohortdb_append_only();

-- The current version of every generation folder ever seen (vanished ones included, with
-- folder = 'vanished'), and the gens root of the import that recorded it.
create view generations as
select g.stage, g.gen_id, g.version, g.import_id, i.gens_root, i.imported_at, g.folder,
       g.has_prompt, g.has_raw, g.has_parsed, g.refusal, g.parent_gen_id, g.combo_id,
       g.draft_template, g.template, g.llm_model_id, g.origin_cohort_id,
       g.eval_template as evaluation_template, g.eval_llm as evaluation_llm_model,
       g.score, g.score_error
from results_generations as g
join results_imports as i on i.import_id = g.import_id
where not exists (
    select 1 from results_superseded as s
    where s.stage = g.stage and s.gen_id = g.gen_id and s.version = g.version
);

-- Per stored cohort and stage: members, and how many have a prompt.txt, raw.txt and
-- parsed.txt in the current ledger (like the reference's coverage check, which counts
-- parsed.txt).
create view cohort_progress as
select m.cohort_id, m.stage, count(*) as members,
       coalesce(sum(g.has_prompt), 0) as with_prompt,
       coalesce(sum(g.has_raw), 0) as with_raw,
       coalesce(sum(g.has_parsed), 0) as with_parsed,
       count(*) - coalesce(sum(g.has_parsed), 0) as missing_parsed
from membership as m
left join results_generations as g
  on g.stage = m.stage and g.gen_id = m.gen_id
 and not exists (
    select 1 from results_superseded as s
    where s.stage = g.stage and s.gen_id = g.gen_id and s.version = g.version
 )
group by m.cohort_id, m.stage;

-- The reference's normalised evaluation scores of every stored cohort, one row per evaluation
-- member in membership order: the same rows `cohortdb scores` writes (docs/reference.md,
-- "Results" §4-§6). Paths use the gens root of the latest import. A cohort whose rows would
-- make the reference abort (refusal is not NULL) is refused by `scores` (D25); the view shows
-- the refusal in the column `refusal`.
create view evaluation_scores as
with members as (
    select m.cohort_id, m.ordinal, m.gen_id
    from membership as m
    where m.stage = 'evaluation'
),
root as (
    select gens_root from results_imports order by import_id desc limit 1
),
current_gens as (
    select g.* from results_generations as g
    where not exists (
        select 1 from results_superseded as s
        where s.stage = g.stage and s.gen_id = g.gen_id and s.version = g.version
    )
),
joined as (
    select m.cohort_id, m.ordinal, m.gen_id,
           e.parent_gen_id as pe,
           e.combo_id as e_combo, e.draft_template as e_draft_template,
           e.eval_template_kind, e.eval_template, e.eval_template_f,
           e.eval_llm_kind, e.eval_llm, e.eval_llm_f,
           e.origin_cohort_id, e.score, e.score_text,
           case when e.gen_id is null or (e.folder <> 'dir') then 'missing parsed.txt'
                else e.score_error end as score_error,
           e.input_mode_kind, e.input_mode, e.input_mode_f,
           e.copied_from_kind, e.copied_from, e.copied_from_f,
           s.template as s_template, s.llm_model_id as s_llm, s.parent_gen_id as pd,
           d.meta_nonempty as d_nonempty, d.combo_id as d_combo, d.template as d_template,
           d.llm_model_id as d_llm,
           coalesce(e.refusal, s.refusal, d.refusal, e.raw_meta_refusal) as refusal
    from members as m
    left join current_gens as e on e.stage = 'evaluation' and e.gen_id = m.gen_id
    left join current_gens as s on e.parent_gen_id is not null
         and s.stage = 'essay' and s.gen_id = e.parent_gen_id
    left join current_gens as d on s.parent_gen_id is not null
         and d.stage = 'draft' and d.gen_id = s.parent_gen_id
),
typed as (
    select j.*,
           sum(case when eval_template_kind = 'int' then 1 else 0 end) over w as t_int,
           sum(case when eval_template_kind is null or eval_template_kind in ('int', 'float')
                    then 1 else 0 end) over w as t_num,
           sum(case when eval_template_kind is null or eval_template_kind = 'float'
                    then 1 else 0 end) over w as t_gap,
           sum(case when eval_llm_kind = 'int' then 1 else 0 end) over w as l_int,
           sum(case when eval_llm_kind is null or eval_llm_kind in ('int', 'float')
                    then 1 else 0 end) over w as l_num,
           sum(case when eval_llm_kind is null or eval_llm_kind = 'float'
                    then 1 else 0 end) over w as l_gap,
           sum(case when input_mode_kind = 'int' then 1 else 0 end) over w as i_int,
           sum(case when input_mode_kind is null or input_mode_kind in ('int', 'float')
                    then 1 else 0 end) over w as i_num,
           sum(case when input_mode_kind is null or input_mode_kind = 'float'
                    then 1 else 0 end) over w as i_gap,
           sum(case when copied_from_kind = 'int' then 1 else 0 end) over w as c_int,
           sum(case when copied_from_kind is null or copied_from_kind in ('int', 'float')
                    then 1 else 0 end) over w as c_num,
           sum(case when copied_from_kind is null or copied_from_kind = 'float'
                    then 1 else 0 end) over w as c_gap,
           count(*) over w as n
    from joined as j
    window w as (partition by j.cohort_id)
)
select t.cohort_id, t.ordinal, t.gen_id,
       coalesce(t.pe, '') as parent_gen_id,
       case when t.eval_template_kind = 'int' and t.t_int > 0 and t.t_num = t.n and t.t_gap > 0
            then t.eval_template_f else coalesce(t.eval_template, '') end as evaluation_template,
       case when t.eval_llm_kind = 'int' and t.l_int > 0 and t.l_num = t.n and t.l_gap > 0
            then t.eval_llm_f else coalesce(t.eval_llm, '') end as evaluation_llm_model,
       t.score, coalesce(t.score_error, '') as error,
       (select gens_root from root) || '/evaluation/' || t.gen_id || '/parsed.txt'
           as evaluation_response_path,
       case when t.d_nonempty = 1 and t.d_combo is not null then t.d_combo
            else coalesce(t.e_combo, '') end as combo_id,
       case when t.d_nonempty = 1 and t.d_template is not null then t.d_template
            else coalesce(t.e_draft_template, '') end as draft_template,
       coalesce(t.s_template, '') as generation_template,
       case when t.s_llm is not null then t.s_llm
            when t.d_nonempty = 1 then coalesce(t.d_llm, '')
            else '' end as generation_model,
       coalesce(t.origin_cohort_id, '') as origin_cohort_id,
       case when t.pe is null then ''
            else (select gens_root from root) || '/essay/' || t.pe || '/parsed.txt'
       end as generation_response_path,
       case when t.input_mode_kind = 'int' and t.i_int > 0 and t.i_num = t.n and t.i_gap > 0
            then t.input_mode_f else coalesce(t.input_mode, '') end as input_mode,
       case when t.copied_from_kind = 'int' and t.c_int > 0 and t.c_num = t.n and t.c_gap > 0
            then t.copied_from_f else coalesce(t.copied_from, '') end as copied_from,
       t.score_text,
       t.refusal
from typed as t;
