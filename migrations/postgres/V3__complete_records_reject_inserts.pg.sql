-- A complete cohort record takes no new rows (D14; docs/storage.md, "Append-only"), as
-- migrations/V3__complete_records_reject_inserts.sql does on SQLite: the cohort_records row is
-- written last, so once it exists every table holding part of the record refuses rows for its
-- cohort_no.
--
-- PostgreSQL checks once per statement, over the statement's new rows (a transition table),
-- rather than once per row: a publish COPYs a million members in one statement.

create function cohortdb_complete_record_guard() returns trigger language plpgsql as $$
begin
    if exists (select 1 from new_rows as n join cohort_records as r on r.cohort_no = n.cohort_no) then
        raise exception '%: the cohort''s record is complete; it takes no new %', tg_table_name, tg_argv[0]
            using errcode = 'restrict_violation';
    end if;
    return null;
end
$$;

create trigger cohort_members_no_insert_after_record after insert on cohort_members
    referencing new table as new_rows
    for each statement execute function cohortdb_complete_record_guard('members');
create trigger cohort_values_no_insert_after_record after insert on cohort_values
    referencing new table as new_rows
    for each statement execute function cohortdb_complete_record_guard('values');
create trigger cohort_template_modes_no_insert_after_record after insert on cohort_template_modes
    referencing new table as new_rows
    for each statement execute function cohortdb_complete_record_guard('modes');
create trigger cohort_spec_files_no_insert_after_record after insert on cohort_spec_files
    referencing new table as new_rows
    for each statement execute function cohortdb_complete_record_guard('files');
create trigger gen_ids_no_insert_after_record after insert on gen_ids
    referencing new table as new_rows
    for each statement execute function cohortdb_complete_record_guard('gen_ids');
