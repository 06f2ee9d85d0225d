//! The SQLite store: opening it (pragmas, migrations, SQL functions) and handing out
//! connections. Every SQL text lives in `sql/` (see `queries`) or `migrations/`.
//!
//! This module knows nothing about catalogs, specs or cohorts; it must not print.

pub mod functions;
pub(crate) mod migrate;
pub(crate) mod queries;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{DbContext, Error, Result};

pub use migrate::latest_version;

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// Switches the store to WAL. Switching a new file needs an exclusive lock, for which SQLite
/// does not wait (it returns "database is locked" at once to avoid deadlocks), so two processes
/// creating one store at the same moment retry here; a store already in WAL mode needs no lock.
fn set_wal(conn: &Connection) -> Result<()> {
    let mut attempt = 0u64;
    loop {
        match conn.pragma_update(None, "journal_mode", "wal") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && attempt < 100 =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10 * attempt.min(10)));
            }
            other => return other.db("pragma journal_mode"),
        }
    }
}

/// An open cohortdb store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    version: u32,
}

impl Store {
    /// Opens the store at `path` for reading and writing, creating the file when it does not
    /// exist, and applies pending migrations. Every writing command opens through here.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let display = path.display().to_string();
        let mut conn = Connection::open(&path).db("open store")?;
        conn.busy_timeout(BUSY_TIMEOUT).db("set busy timeout")?;
        // WAL lets readers run while a writer commits; NORMAL sync is durable across process
        // crashes (not power loss of the last commit), the usual WAL trade-off.
        set_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "normal")
            .db("pragma synchronous")?;
        conn.pragma_update(None, "foreign_keys", "on")
            .db("pragma foreign_keys")?;
        let version = migrate::run(&mut conn, &display)?;
        functions::register(&conn)?;
        Ok(Store {
            conn,
            path,
            version,
        })
    }

    /// Opens an existing store for reading and writing; fails with [`Error::NoStore`] when the
    /// file does not exist (commands that only read the store must not create one).
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(Error::NoStore {
                path: path.display().to_string(),
            });
        }
        Store::open(path)
    }

    /// Opens an existing store read-only (no migrations, no writes possible through this
    /// connection: read-only flags, `query_only`, and the `query` authorizer). Fails with [`Error::NoStore`] when the file does not exist.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let display = path.display().to_string();
        if !path.is_file() {
            return Err(Error::NoStore { path: display });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let mut conn = Connection::open_with_flags(&path, flags).db("open store read-only")?;
        conn.busy_timeout(BUSY_TIMEOUT).db("set busy timeout")?;
        conn.pragma_update(None, "query_only", "on")
            .db("pragma query_only")?;
        let version = migrate::current_version(&mut conn, &display)?;
        let latest = migrate::latest_version();
        if version < latest {
            return Err(Error::Migrate {
                path: display,
                message: format!(
                    "the store has schema version {version} but this cohortdb needs {latest}; \
                     run `cohortdb init` to migrate it"
                ),
            });
        }
        functions::register(&conn)?;
        crate::query::install_guard(&mut conn)?;
        Ok(Store {
            conn,
            path,
            version,
        })
    }

    /// Opens an in-memory store with the full schema (tests, scratch builds).
    pub fn open_in_memory() -> Result<Store> {
        let mut conn = Connection::open_in_memory().db("open in-memory store")?;
        conn.pragma_update(None, "foreign_keys", "on")
            .db("pragma foreign_keys")?;
        let version = migrate::run(&mut conn, ":memory:")?;
        functions::register(&conn)?;
        Ok(Store {
            conn,
            path: PathBuf::from(":memory:"),
            version,
        })
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version (the newest applied migration).
    pub fn schema_version(&self) -> u32 {
        self.version
    }

    /// The underlying connection.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The underlying connection, mutably (for transactions).
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Starts the one write transaction of a command. `IMMEDIATE` takes the write lock up
    /// front, so two processes never deadlock upgrading read locks; the busy timeout makes the
    /// second one wait.
    pub fn write_transaction(&mut self) -> Result<rusqlite::Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .db("begin immediate")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let first = Store::open(&path).unwrap();
        assert_eq!(first.schema_version(), latest_version());
        drop(first);
        let second = Store::open(&path).unwrap();
        assert_eq!(second.schema_version(), latest_version());
    }

    #[test]
    fn read_only_open_requires_an_existing_store() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open_read_only(dir.path().join("missing.db"))
            .err()
            .unwrap();
        assert!(matches!(err, Error::NoStore { .. }));
        assert!(!dir.path().join("missing.db").exists());
    }
}
