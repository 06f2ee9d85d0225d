-- A floating-point value as SQLite prints it (CAST to text).   ?1 the value.
-- Caller: query (every output format).
select cast(?1 as text) as text
