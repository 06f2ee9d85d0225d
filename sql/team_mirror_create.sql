-- Which team store a mirror mirrors (docs/postgres.md, "The mirror"): one row, the store's UUID,
-- written when the mirror is made; a mirror never takes another store's rows. Not part of the
-- versioned schema (a mirror is an ordinary store plus this table). Several statements (run,
-- not prepared).   Caller: team::mirror.
create table if not exists team_mirror (
    store_uuid text primary key
) without rowid;
create trigger if not exists team_mirror_no_update before update on team_mirror
begin select raise(abort, 'team_mirror is append-only: a mirror never changes stores'); end;
create trigger if not exists team_mirror_no_delete before delete on team_mirror
begin select raise(abort, 'team_mirror is append-only: a mirror never changes stores'); end;
