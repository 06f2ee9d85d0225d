-- Names the version a newer one replaced.  ?1 stage ?2 gen_id ?3 version ?4 import_id.
-- Caller: results::ledger.
insert into results_superseded (stage, gen_id, version, import_id) values (?1, ?2, ?3, ?4)
