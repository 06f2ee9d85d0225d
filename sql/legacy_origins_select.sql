-- What `migrate` recorded of a generation's metadata.json (usually one row).
-- ?1 stage (0, 1, 2)  ?2 gen_id.   Caller: verify (a member's metadata.json that differs).
select file_blake3, origin_cohort_id
from legacy_origins
where stage = ?1 and gen_id = ?2
