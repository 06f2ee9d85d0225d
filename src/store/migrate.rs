//! Schema migrations: `migrations/V<n>__<name>.sql`, embedded at compile time and applied when a
//! writer opens a store. Landed migrations are never edited: refinery checksums each one and
//! refuses to open a store whose history diverges (`abort_divergent`) or names a file we no
//! longer ship (`abort_missing`).
//!
//! Migrations run **grouped**: every pending migration and its history row commit in one
//! transaction, so a process killed while migrating leaves the store at its old version.
//! Stores migrated by earlier builds (which committed each migration's SQL and its history row
//! separately) can hold a migration's schema without its history row; [`run`] recognises that
//! state by comparing the store's schema with the schema each version creates, and records the
//! missing rows.

use refinery::Target;
use rusqlite::Connection;

use crate::error::{DbContext, Error, MigrationFailure, Result};

mod embedded {
    /// The migrations, listed rather than found by refinery's `embed_migrations!` macro (its
    /// proc-macro crate and what it compiles are not in the tree: docs/decisions.md,
    /// "Dependencies"). Each is `(file stem, SQL)`, exactly what the macro passes to
    /// `Migration::unapplied`, so names and checksums in existing stores' history are
    /// unchanged; `tests::every_migration_file_is_listed` keeps the list and the folder equal.
    pub(super) const FILES: &[(&str, &str)] = &[
        (
            "V1__create_catalogs",
            include_str!("../../migrations/V1__create_catalogs.sql"),
        ),
        (
            "V2__create_cohort_records",
            include_str!("../../migrations/V2__create_cohort_records.sql"),
        ),
        (
            "V3__complete_records_reject_inserts",
            include_str!("../../migrations/V3__complete_records_reject_inserts.sql"),
        ),
        (
            "V4__cohort_reuse",
            include_str!("../../migrations/V4__cohort_reuse.sql"),
        ),
        (
            "V5__results_ledger",
            include_str!("../../migrations/V5__results_ledger.sql"),
        ),
        (
            "V6__legacy_origins",
            include_str!("../../migrations/V6__legacy_origins.sql"),
        ),
    ];

    pub(super) mod migrations {
        use refinery::{Migration, Runner};

        /// A runner over every migration, in version order.
        pub fn runner() -> Runner {
            let migrations: Vec<Migration> = super::FILES
                .iter()
                .map(|(name, sql)| {
                    // The names are constants of the form refinery parses (a unit test runs
                    // every one of them).
                    Migration::unapplied(name, sql).expect("migration names are V<n>__<name>")
                })
                .collect();
            Runner::new(&migrations)
        }
    }
}

/// refinery's history table.
const HISTORY_TABLE: &str = "refinery_schema_history";

/// How many times a migration run is retried while another process is migrating the same store.
const MAX_ATTEMPTS: u32 = 10;

/// Applies every pending migration and returns the schema version afterwards.
///
/// Two processes opening a store at once both see the migrations pending; the one that commits
/// second fails (`table … already exists`). A failed grouped run leaves nothing applied: when
/// the recorded version moved during the attempt, another process did the work, and the run is
/// retried from the new version. When it did not move, the store may hold the schema of a newer
/// version without its history row (an earlier build killed between the two): that is recorded
/// and the run retried.
pub(crate) fn run(conn: &mut Connection, path: &str) -> Result<u32> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        // A store another process is creating may not have the history table yet.
        let before = current_version(conn, path).unwrap_or(0);
        let outcome = embedded::migrations::runner()
            .set_abort_divergent(true)
            .set_abort_missing(true)
            .set_grouped(true)
            .run(conn);
        match outcome {
            Ok(report) => {
                let applied = report
                    .applied_migrations()
                    .iter()
                    .map(|m| m.version())
                    .max();
                return match applied {
                    Some(v) => Ok(v as u32),
                    None => current_version(conn, path),
                };
            }
            Err(e) => {
                let moved = current_version(conn, path).is_ok_and(|now| now > before);
                if attempt >= MAX_ATTEMPTS {
                    return Err(failed(path, e));
                }
                if !moved && !record_unrecorded(conn, before, path)? {
                    return Err(failed(path, e));
                }
            }
        }
    }
}

fn failed(path: &str, source: refinery::Error) -> Error {
    Error::Migrate {
        path: path.to_string(),
        failure: MigrationFailure::Failed { source },
    }
}

/// The schema objects of `conn` other than SQLite's and the history table, as
/// `(type, name, sql)` in a fixed order.
fn schema(conn: &Connection) -> rusqlite::Result<Vec<(String, String, Option<String>)>> {
    let mut stmt = conn.prepare(
        "select type, name, sql from sqlite_schema \
         where name not like 'sqlite_%' and name <> ?1 order by type, name",
    )?;
    stmt.query_map([HISTORY_TABLE], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect()
}

/// Recognises a store whose schema is exactly that of a version above its recorded `version`
/// (a migration applied without its history row by an earlier, non-grouped build) and records
/// the missing history rows without running their SQL again. Returns whether it did.
fn record_unrecorded(conn: &mut Connection, version: u32, path: &str) -> Result<bool> {
    let db = |source: rusqlite::Error| Error::Migrate {
        path: path.to_string(),
        failure: MigrationFailure::Schema { source },
    };
    let actual = schema(conn).map_err(db)?;
    for target in (version + 1)..=latest_version() {
        let mut scratch = Connection::open_in_memory().map_err(db)?;
        embedded::migrations::runner()
            .set_target(Target::Version(target as i32))
            .set_grouped(true)
            .run(&mut scratch)
            .map_err(|e| failed(path, e))?;
        if schema(&scratch).map_err(db)? == actual {
            embedded::migrations::runner()
                .set_target(Target::FakeVersion(target as i32))
                .set_abort_divergent(true)
                .set_abort_missing(true)
                .run(conn)
                .map_err(|e| failed(path, e))?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// True when the store has refinery's history table (every cohortdb store does; another
/// application's SQLite file does not). The first read of the schema: a damaged file fails here.
pub(crate) fn has_history(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "select count(*) from sqlite_schema where type = 'table' and name = ?1",
        [HISTORY_TABLE],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// The schema version recorded in the store (0 for a store without migrations).
pub(crate) fn current_version(conn: &mut Connection, path: &str) -> Result<u32> {
    let last = embedded::migrations::runner()
        .get_last_applied_migration(conn)
        .map_err(|source| Error::Migrate {
            path: path.to_string(),
            failure: MigrationFailure::History { source },
        })?;
    Ok(last.map(|m| m.version() as u32).unwrap_or(0))
}

/// The newest schema version this build of cohortdb knows.
pub fn latest_version() -> u32 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| m.version() as u32)
        .max()
        .unwrap_or(0)
}

/// Creates a store at `path` holding only the migrations up to `version` (tests of upgrades
/// from an earlier schema; `cohortdb` never writes an old schema).
#[doc(hidden)]
pub fn create_at_version(path: &std::path::Path, version: u32) -> Result<()> {
    super::ofd::install();
    let shown = path.display().to_string();
    let mut conn = Connection::open(path).db("open")?;
    conn.pragma_update(None, "journal_mode", "wal")
        .db("pragma journal_mode")?;
    embedded::migrations::runner()
        .set_target(Target::Version(version as i32))
        .run(&mut conn)
        .map_err(|e| failed(&shown, e))?;
    Ok(())
}

/// The SQL text of migration `version` (tests that replay an interrupted migration).
#[doc(hidden)]
pub fn migration_sql(version: u32) -> Option<String> {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .find(|m| m.version() as u32 == version)
        .and_then(|m| m.sql().map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut on_disk: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .map(|p| {
                let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
                (stem, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        on_disk.sort();
        let mut listed: Vec<(String, String)> = embedded::FILES
            .iter()
            .map(|(n, s)| (n.to_string(), s.to_string()))
            .collect();
        listed.sort();
        assert_eq!(listed, on_disk);
        // Every name parses, in version order (the runner's `expect`).
        let versions: Vec<u32> = embedded::migrations::runner()
            .get_migrations()
            .iter()
            .map(|m| m.version() as u32)
            .collect();
        assert_eq!(
            versions,
            (1..=embedded::FILES.len() as u32).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_migration_without_its_history_row_is_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let latest = latest_version();
        create_at_version(&path, latest - 1).unwrap();
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&migration_sql(latest).unwrap()).unwrap();
        drop(conn);
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(current_version(&mut conn, "s.db").unwrap(), latest - 1);
        assert_eq!(run(&mut conn, "s.db").unwrap(), latest);
        assert_eq!(current_version(&mut conn, "s.db").unwrap(), latest);
    }

    #[test]
    fn a_partial_schema_is_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        // A version-1 store with one table of V2's, unlike V2's.
        create_at_version(&path, 1).unwrap();
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch("create table cohort_records(x)")
            .unwrap();
        let err = run(&mut conn, "s.db").unwrap_err();
        assert!(matches!(err, Error::Migrate { .. }), "{err}");
        assert_eq!(current_version(&mut conn, "s.db").unwrap(), 1);
    }
}
