-- Releases a session-level advisory lock.   $1 the lock key.   Caller: team::schema.
select pg_advisory_unlock($1)
