-- Stores the texts a build's members refer to.   ?1 cohort_no.   Caller: record::write.
insert into cohort_values (cohort_no, role, vid, text)
select ?1, role, vid, text from temp.role_text
