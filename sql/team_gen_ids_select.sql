-- The registry entries one cohort record made (first used by one of its members), in the column
-- order of src/team/tables.rs.   ?1 cohort_no.   Callers: team::publish, team::copy.
--
-- The registry has no index by cohort_no on SQLite: each member probes it by gen_id instead of
-- scanning every issued gen_id.
select
    g.gen_id, g.signature_digest, g.collision_index, g.cohort_no, g.ordinal
from cohort_members as m
cross join gen_ids as g on g.gen_id = m.gen_id
where m.cohort_no = ?1 and g.cohort_no = ?1
order by g.gen_id
