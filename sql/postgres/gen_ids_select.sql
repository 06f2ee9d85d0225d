-- The gen_ids rows of the given cohort records, in the column order of
-- src/team/tables.rs (what a sync copies into the mirror).   $1 cohort_nos (bigint[]).
-- Caller: team::mirror.
select
    gen_id, signature_digest, collision_index, cohort_no, ordinal
from gen_ids
where cohort_no = any($1)
order by cohort_no, gen_id
