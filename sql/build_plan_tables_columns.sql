-- Plan tables keyed by their value columns (the general case; see build_plan_tables_packed.sql
-- for the fast path). Runs as a batch; no parameters.   Caller: cohort::members.
-- Plan entries in first-appearance order (docs/reference.md §3.4): the unique keys make a later
-- duplicate a no-op, and ids grow in design order without gaps.
create temp table plan_draft (
    id       integer primary key,
    combo    integer not null,
    template integer not null,
    llm      integer not null,
    rep      integer not null,
    unique (combo, template, llm, rep)
);
create temp table plan_essay (
    id       integer primary key,
    combo    integer not null,
    dt       integer not null,
    dl       integer not null,
    drep     integer not null,
    template integer not null,
    llm      integer not null,
    rep      integer not null,
    unique (combo, dt, dl, drep, template, llm, rep)
);
create temp table plan_eval (
    id       integer primary key,
    combo    integer not null,
    dt       integer not null,
    dl       integer not null,
    drep     integer not null,
    et       integer not null,
    el       integer not null,
    erep     integer not null,
    template integer not null,
    llm      integer not null,
    rep      integer not null,
    unique (combo, dt, dl, drep, et, el, erep, template, llm, rep)
);
