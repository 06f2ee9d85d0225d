-- One entry of a generation version's folder.
-- ?1 stage ?2 gen_id ?3 version ?4 name ?5 kind ?6 size ?7 blake3.   Caller: results::ledger.
insert into results_files (stage, gen_id, version, name, kind, size, blake3)
values (?1, ?2, ?3, ?4, ?5, ?6, ?7)
