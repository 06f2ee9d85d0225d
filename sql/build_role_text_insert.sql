-- The text of one role-value id.   ?1 role  ?2 vid  ?3 text.   Caller: cohort::design.
insert into temp.role_text (role, vid, text) values (?1, ?2, ?3)
