-- Each member of a record with the registry entry of its gen_id (null columns: none), to check
-- a record that arrived from another store.   ?1 cohort_no.   Caller: team::mirror.
select m.ordinal, g.signature_digest, g.collision_index,
       g.cohort_no as registered_no, g.ordinal as registered_ordinal
from cohort_members as m
left join gen_ids as g on g.gen_id = m.gen_id
where m.cohort_no = ?1
order by m.ordinal
