-- How many of a cohort's members reuse gen_ids that an earlier cohort registered, per earlier
-- cohort (docs/storage.md, "Reuse between cohorts"): migrations/V4__cohort_reuse.sql.
create table cohort_reuse (
    cohort_no  bigint not null,
    earlier_no bigint not null,
    shared     bigint not null check (shared > 0),
    primary key (earlier_no, cohort_no),
    check (earlier_no < cohort_no)
);

insert into cohort_reuse (cohort_no, earlier_no, shared)
select n.cohort_no, g.cohort_no, count(*)
from cohort_members as n
join gen_ids as g on g.gen_id = n.gen_id
where g.cohort_no < n.cohort_no
group by n.cohort_no, g.cohort_no;

create trigger cohort_reuse_append_only before update or delete on cohort_reuse
    for each row execute function cohortdb_append_only();
create trigger cohort_reuse_no_truncate before truncate on cohort_reuse
    for each statement execute function cohortdb_append_only();
create trigger cohort_reuse_no_insert_after_record after insert on cohort_reuse
    referencing new table as new_rows
    for each statement execute function cohortdb_complete_record_guard('counts');
