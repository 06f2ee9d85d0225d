//! The team store's schema: `migrations/postgres/V<n>__<name>.pg.sql`, the SQLite migrations
//! with PostgreSQL types and the same version numbers (docs/postgres.md, "Schema"), run by
//! refinery **grouped** in one transaction (PostgreSQL's DDL is transactional: a process killed
//! while migrating leaves the old schema) under a session advisory lock, so two writers opening
//! a new database at once migrate it once.
//!
//! The checks before any command uses a database mirror the SQLite store's
//! (docs/storage.md, "Opening"): a database with other tables and no cohortdb history is
//! refused unchanged; a newer schema is refused; readers never migrate.

use postgres::Client;
use refinery::{Migration, Runner};

use super::{MIGRATE_LOCK_KEY, Pg, queries};
use crate::error::{Result, TeamErrorKind};

/// The migrations, in version order. The names are the SQLite migrations' names, so both
/// engines' histories read alike.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "V1__create_catalogs",
        include_str!("../../migrations/postgres/V1__create_catalogs.pg.sql"),
    ),
    (
        "V2__create_cohort_records",
        include_str!("../../migrations/postgres/V2__create_cohort_records.pg.sql"),
    ),
    (
        "V3__complete_records_reject_inserts",
        include_str!("../../migrations/postgres/V3__complete_records_reject_inserts.pg.sql"),
    ),
    (
        "V4__cohort_reuse",
        include_str!("../../migrations/postgres/V4__cohort_reuse.pg.sql"),
    ),
    (
        "V5__results_ledger",
        include_str!("../../migrations/postgres/V5__results_ledger.pg.sql"),
    ),
    (
        "V6__legacy_origins",
        include_str!("../../migrations/postgres/V6__legacy_origins.pg.sql"),
    ),
];

fn migrations() -> Vec<Migration> {
    MIGRATIONS
        .iter()
        .map(|(name, sql)| {
            // The names are constants of the form refinery parses (a unit test runs this).
            Migration::unapplied(name, sql).expect("migration names are V<n>__<name>")
        })
        .collect()
}

/// The newest schema version this build knows (the same number as the SQLite store's).
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// What the database holds before anything is changed.
enum State {
    /// No tables at all: a new store.
    Empty,
    /// cohortdb's history at this version.
    Version(u32),
}

fn state(client: &mut Client, store: &str) -> Result<State> {
    let row = client
        .query_one(queries::SCHEMA_STATE, &[])
        .pg(store, "schema_state")?;
    let has_history: bool = row.get("has_history");
    let tables: i64 = row.get("tables");
    if !has_history {
        if tables > 0 {
            return Err(super::team_error(store, TeamErrorKind::Foreign));
        }
        return Ok(State::Empty);
    }
    let version: Option<i32> = client
        .query_one(queries::SCHEMA_VERSION, &[])
        .pg(store, "schema_version")?
        .get("version");
    Ok(State::Version(version.map_or(0, |v| v.max(0) as u32)))
}

/// Checks the database and, for a writer, creates or migrates the schema; returns the version.
pub(super) fn prepare(client: &mut Client, store: &str, writer: bool) -> Result<u32> {
    let latest = latest_version();
    let version = match state(client, store)? {
        State::Empty => 0,
        State::Version(v) => v,
    };
    if version > latest {
        return Err(super::team_error(
            store,
            TeamErrorKind::Newer { version, latest },
        ));
    }
    if version == latest {
        return Ok(version);
    }
    if !writer {
        return Err(super::team_error(
            store,
            if version == 0 {
                TeamErrorKind::Empty
            } else {
                TeamErrorKind::Outdated {
                    recorded: version,
                    latest,
                }
            },
        ));
    }
    client
        .execute(queries::LOCK_SESSION, &[&MIGRATE_LOCK_KEY])
        .pg(store, "lock_session")?;
    let outcome = migrate_locked(client, store);
    let unlock = client
        .execute(queries::UNLOCK_SESSION, &[&MIGRATE_LOCK_KEY])
        .pg(store, "unlock_session");
    let version = outcome?;
    unlock?;
    Ok(version)
}

/// Runs the pending migrations, holding the migration lock (another writer may have done it).
fn migrate_locked(client: &mut Client, store: &str) -> Result<u32> {
    if let State::Version(v) = state(client, store)?
        && v >= latest_version()
    {
        return Ok(v);
    }
    Runner::new(&migrations())
        .set_grouped(true)
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .run(client)
        .map_err(|source| super::team_error(store, TeamErrorKind::Migrate { source }))?;
    match state(client, store)? {
        State::Version(v) => Ok(v),
        State::Empty => Ok(0),
    }
}

/// Migrates the database `url` names to `version` only (tests of upgrades and of readers meeting
/// an older schema; cohortdb never writes an old schema).
#[doc(hidden)]
pub fn create_at_version(url: &super::PgUrl, version: u32) -> Result<()> {
    let shown = url.to_string();
    let mut client = super::store::connect(url)?;
    Runner::new(&migrations())
        .set_grouped(true)
        .set_target(refinery::Target::Version(version as i32))
        .run(&mut client)
        .map_err(|source| super::team_error(&shown, TeamErrorKind::Migrate { source }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_postgres_migrations_match_the_sqlite_ones() {
        let names: Vec<String> = migrations()
            .iter()
            .map(|m| format!("V{}__{}", m.version(), m.name()))
            .collect();
        let expected: Vec<&str> = MIGRATIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, expected);
        assert_eq!(latest_version(), crate::store::latest_version());
        for v in 1..=latest_version() {
            let sqlite = crate::store::migration_sql(v).expect("an SQLite migration");
            let (name, _) = MIGRATIONS[v as usize - 1];
            assert!(name.starts_with(&format!("V{v}__")), "{name}");
            assert!(!sqlite.is_empty());
        }
    }
}
