-- The ordinals of a build's members whose gen_id an earlier cohort registered (temp.hits, made
-- by the registry agreement check): they add no registry entry.   No parameters.
-- Caller: team::publish.
select seq - 1 as ordinal from temp.hits order by seq
