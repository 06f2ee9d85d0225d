-- Records the store a new mirror mirrors (a no-op once recorded).   ?1 the store UUID.
-- Caller: team::mirror.
insert into team_mirror (store_uuid)
select ?1 where not exists (select 1 from team_mirror)
