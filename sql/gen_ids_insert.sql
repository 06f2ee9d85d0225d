-- Registers one gen_id unless it is already registered (called in gen_id order, so the B-tree
-- grows at its end).   ?1 gen_id  ?2 signature digest  ?3 collision index  ?4 cohort_no
-- ?5 ordinal.   Caller: record::write.
insert into gen_ids (gen_id, signature_digest, collision_index, cohort_no, ordinal)
values (?1, ?2, ?3, ?4, ?5)
on conflict (gen_id) do nothing
