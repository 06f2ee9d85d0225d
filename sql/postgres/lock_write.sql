-- Waits for the store's one write lock, held until the transaction ends (commit, rollback or a
-- dropped connection): every publish takes it, once, first (docs/postgres.md, "Writes").
-- $1 the lock key.   Callers: team::publish, team::copy.
select pg_advisory_xact_lock($1)
