-- Plan tables keyed by one integer that packs the entry's whole key (its role-value ids and
-- replicates, and its parents'), used when every packed key fits in 63 bits. The unique key makes
-- a later duplicate a no-op, so ids keep first-appearance order (docs/reference.md §3.4); `dk` / `ek`
-- are the parent entry's packed key. Runs as a batch; no parameters.   Caller: cohort::members.
create temp table plan_draft (
    id       integer primary key,
    k        integer not null unique,
    combo    integer not null,
    template integer not null,
    llm      integer not null,
    rep      integer not null
);
create temp table plan_essay (
    id       integer primary key,
    k        integer not null unique,
    dk       integer not null,
    template integer not null,
    llm      integer not null,
    rep      integer not null
);
create temp table plan_eval (
    id       integer primary key,
    k        integer not null unique,
    ek       integer not null,
    template integer not null,
    llm      integer not null,
    rep      integer not null
);
