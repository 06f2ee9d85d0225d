-- The scratch tables of one build or verify, in the temp schema (never written to the store
-- file; gone when the connection closes). Runs as a batch; no parameters.
-- Caller: cohort::design.
-- Roles: template = 2 * stage + 1, LLM = 2 * stage + 2 (docs/storage.md; pinned to the Role
-- enum by src/ids.rs roles_follow_the_layout_the_sql_computes).
drop view if exists temp.member_rows;
drop table if exists temp.design;
drop table if exists temp.role_text;
drop table if exists temp.plan_draft;
drop table if exists temp.plan_essay;
drop table if exists temp.plan_eval;
drop table if exists temp.m;
drop table if exists temp.hits;

-- Design rows as role-value ids, in product order (rowid = design row number).
create temp table design (
    combo               integer,
    draft_template      integer,
    draft_llm           integer,
    draft_rep           integer,
    essay_template      integer,
    essay_llm           integer,
    essay_rep           integer,
    evaluation_template integer,
    evaluation_llm      integer,
    evaluation_rep      integer
);

-- The text of every role-value id (roles 0..6: combo, draft template, draft LLM, essay
-- template, essay LLM, evaluation template, evaluation LLM).
create temp table role_text (
    role integer not null,
    vid  integer not null,
    text text not null,
    primary key (role, vid)
) without rowid;

-- Members: rowid - 1 is the ordinal (drafts, then essays, then evaluations). Values are
-- role-value ids (texts in temp.role_text); `parent` is the parent member's rowid. gen_id is
-- set on insert from the registered functions, gen_id(stage, gen_signature(…)), and moved to
-- another collision index only when the registry holds it for another signature.
create temp table m (
    stage     integer not null,
    parent    integer,
    combo     integer not null,
    template  integer not null,
    llm       integer not null,
    rep       integer not null,
    collision integer not null default 0,
    gen_id    text not null
);

-- Members with their texts and signatures, for messages and comparisons (the hot paths read
-- temp.m directly).
create temp view member_rows as
select m.rowid as seq,
       m.rowid - 1 as ordinal,
       m.stage as stage_no,
       case m.stage when 0 then 'draft' when 1 then 'essay' else 'evaluation' end as stage,
       m.gen_id,
       p.gen_id as parent_gen_id,
       c.text as combo_id,
       t.text as template_id,
       l.text as llm_model_id,
       m.rep as replicate,
       case m.stage
           when 0 then gen_signature(c.text, t.text, l.text, m.rep)
           when 1 then gen_signature(p.gen_id, t.text, m.rep)
           else gen_signature(p.gen_id, t.text, l.text, m.rep)
       end as signature,
       m.collision
from temp.m as m
left join temp.m as p on p.rowid = m.parent
join temp.role_text as c on c.role = 0 and c.vid = m.combo
join temp.role_text as t on t.role = 2 * m.stage + 1 and t.vid = m.template
join temp.role_text as l on l.role = 2 * m.stage + 2 and l.vid = m.llm;
