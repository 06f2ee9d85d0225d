-- Stores one template mode of a cohort.   ?1 cohort_no ?2 stage ?3 template_id ?4 mode.
-- Caller: record::write.
insert into cohort_template_modes (cohort_no, stage, template_id, mode) values (?1, ?2, ?3, ?4)
