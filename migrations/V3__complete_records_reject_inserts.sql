-- A complete cohort record takes no new rows (D14; docs/storage.md, "Append-only").
--
-- V2's triggers stop UPDATE and DELETE; an INSERT could still add a member, a value, a template
-- mode, a spec file or a registry entry to a cohort that was already built. `record::write` now
-- inserts the `cohort_records` row last, in the same transaction as the record's other rows, so
-- "the cohort_records row exists" means "the record is complete": from then on every table that
-- holds part of a record refuses rows for its cohort_no.

create trigger cohort_members_no_insert_after_record before insert on cohort_members
when exists (select 1 from cohort_records where cohort_no = new.cohort_no)
begin select raise(abort, 'cohort_members: the cohort''s record is complete; it takes no new members'); end;

create trigger cohort_values_no_insert_after_record before insert on cohort_values
when exists (select 1 from cohort_records where cohort_no = new.cohort_no)
begin select raise(abort, 'cohort_values: the cohort''s record is complete; it takes no new values'); end;

create trigger cohort_template_modes_no_insert_after_record before insert on cohort_template_modes
when exists (select 1 from cohort_records where cohort_no = new.cohort_no)
begin select raise(abort, 'cohort_template_modes: the cohort''s record is complete; it takes no new modes'); end;

create trigger cohort_spec_files_no_insert_after_record before insert on cohort_spec_files
when exists (select 1 from cohort_records where cohort_no = new.cohort_no)
begin select raise(abort, 'cohort_spec_files: the cohort''s record is complete; it takes no new files'); end;

create trigger gen_ids_no_insert_after_record before insert on gen_ids
when exists (select 1 from cohort_records where cohort_no = new.cohort_no)
begin select raise(abort, 'gen_ids: the cohort''s record is complete; it issues no new gen_ids'); end;
