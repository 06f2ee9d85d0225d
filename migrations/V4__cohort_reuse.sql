-- How many of a cohort's members reuse gen_ids that an earlier cohort registered, per earlier
-- cohort (docs/storage.md, "Reuse between cohorts").
--
-- `status` reports "a newer cohort shares gen_ids with this one"; answering that from
-- cohort_members and gen_ids probes the registry once per member of every newer cohort (about
-- 4 s for a 1.2M-member cohort). A build already makes those probes to check D2 across cohorts,
-- so it writes their counts here, in the same transaction and before its record row.
--
-- The rows are derived from cohort_members and gen_ids; they are not part of the content hash.
-- `verify` recounts them from the stored members and reports a difference.
create table cohort_reuse (
    cohort_no  integer not null,  -- the cohort whose members reuse the gen_ids
    earlier_no integer not null,  -- the earlier cohort that registered them
    shared     integer not null check (shared > 0),
    primary key (earlier_no, cohort_no),
    check (earlier_no < cohort_no)
) without rowid;

-- The cohorts built before this migration: the same counts, from their stored rows.
insert into cohort_reuse (cohort_no, earlier_no, shared)
select n.cohort_no, g.cohort_no, count(*)
from cohort_members as n
join gen_ids as g on g.gen_id = n.gen_id
where g.cohort_no < n.cohort_no
group by n.cohort_no, g.cohort_no;

create trigger cohort_reuse_no_update before update on cohort_reuse
begin select raise(abort, 'cohort_reuse is append-only: rows cannot be updated'); end;
create trigger cohort_reuse_no_delete before delete on cohort_reuse
begin select raise(abort, 'cohort_reuse is append-only: rows cannot be deleted'); end;
create trigger cohort_reuse_no_insert_after_record before insert on cohort_reuse
when exists (select 1 from cohort_records where cohort_no = new.cohort_no)
begin select raise(abort, 'cohort_reuse: the cohort''s record is complete; it takes no new counts'); end;
