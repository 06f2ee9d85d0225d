-- Waits for a session-level advisory lock (migrations).   $1 the lock key.
-- Caller: team::schema.
select pg_advisory_lock($1)
