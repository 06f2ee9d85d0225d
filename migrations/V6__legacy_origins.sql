-- The metadata.json files a migrated cohort keeps from legacy generations, as `migrate` found
-- them (docs/decisions.md D24; docs/storage.md, "Legacy origins").
--
-- A cohort migrated from a legacy layout (`cohortdb migrate`) keeps generations that an older,
-- unstored cohort wrote: their metadata.json name that cohort as `origin_cohort_id` (no stored
-- cohort holds it) and may be laid out as older pipelines wrote them (`essay_template`, a
-- replicate as text), so `verify` would call each of them a difference. Before it writes the
-- spec, `migrate` records here each such file of the migrated members: its BLAKE3 and the origin
-- it named. `verify` accepts a member's file whose origin was recorded for that generation, or
-- whose bytes are exactly the recorded ones and describe the member's signature; any other
-- change is still a difference. Rows are never changed or removed.
create table legacy_origins (
    stage            integer not null check (stage in (0, 1, 2)),  -- draft, essay, evaluation
    gen_id           text not null,
    file_blake3      blob not null check (length(file_blake3) = 32),  -- the file's bytes
    origin_cohort_id text,           -- the origin it named (null: none, or not text)
    migrated_as      text not null,  -- the cohort id `migrate` was run for
    primary key (stage, gen_id, file_blake3)
) without rowid;

create trigger legacy_origins_no_update before update on legacy_origins
begin select raise(abort, 'legacy_origins is append-only: rows cannot be updated'); end;
create trigger legacy_origins_no_delete before delete on legacy_origins
begin select raise(abort, 'legacy_origins is append-only: rows cannot be deleted'); end;
