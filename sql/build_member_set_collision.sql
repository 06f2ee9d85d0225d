-- Moves a member to a collision index (temp table; the store is not touched).
-- ?1 member rowid  ?2 collision index  ?3 the gen_id for that index.   Caller: cohort::members.
update temp.m set collision = ?2, gen_id = ?3 where rowid = ?1
