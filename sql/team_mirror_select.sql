-- The store UUIDs a mirror records (exactly one in a sound mirror).   No parameters.
-- Caller: team::mirror.
select store_uuid from team_mirror order by store_uuid
