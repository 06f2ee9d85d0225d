-- The metadata.json files a migrated cohort keeps from legacy generations, as `migrate` found
-- them (docs/decisions.md D24; docs/storage.md, "Legacy origins"): migrations/V6__legacy_origins.sql.
-- A team store does not record them yet (`migrate` with legacy metadata to record is refused on
-- one, docs/postgres.md); the table keeps the schema versions of both engines the same.
create table legacy_origins (
    stage            bigint not null check (stage in (0, 1, 2)),
    gen_id           text not null,
    file_blake3      bytea not null check (length(file_blake3) = 32),
    origin_cohort_id text,
    migrated_as      text not null,
    primary key (stage, gen_id, file_blake3)
);

create trigger legacy_origins_append_only before update or delete on legacy_origins
    for each row execute function cohortdb_append_only();
create trigger legacy_origins_no_truncate before truncate on legacy_origins
    for each statement execute function cohortdb_append_only();
