-- A cohort's reuse counts recounted from its stored members and the registry (what its
-- cohort_reuse rows must hold).   ?1 cohort_no.   Caller: verify.
--
-- The join order is forced (CROSS JOIN): each member probes the registry by gen_id.
select g.cohort_no as earlier_no, count(*) as shared
from cohort_members as n
cross join gen_ids as g on g.gen_id = n.gen_id
where n.cohort_no = ?1 and g.cohort_no < ?1
group by g.cohort_no
order by g.cohort_no
