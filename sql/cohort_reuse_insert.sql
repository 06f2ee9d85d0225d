-- One cohort_reuse row of a new record.   ?1 cohort_no  ?2 earlier_no  ?3 shared.
-- Caller: record::write.
insert into cohort_reuse (cohort_no, earlier_no, shared) values (?1, ?2, ?3)
