-- One metadata.json a migrated member keeps from a legacy generation (kept when recorded).
-- ?1 stage (0, 1, 2)  ?2 gen_id  ?3 BLAKE3 of the file  ?4 the origin it named (or null)
-- ?5 the cohort id migrated.   Caller: migrate::record_origins.
insert or ignore into legacy_origins (stage, gen_id, file_blake3, origin_cohort_id, migrated_as)
values (?1, ?2, ?3, ?4, ?5)
