-- Which of the given gen_ids records newer than the mirror's sync registered (a build whose
-- registry entries would collide with them recomputes).   $1 the synced newest cohort_no
-- $2 gen_ids (text[]).   Caller: team::publish.
select g.gen_id
from unnest($2::text[]) as n(gen_id)
join gen_ids as g on g.gen_id = n.gen_id
where g.cohort_no > $1
limit 1
