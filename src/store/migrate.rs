//! Schema migrations: `migrations/V<n>__<name>.sql`, embedded at compile time and applied when a
//! store opens. Landed migrations are never edited: refinery checksums each one and refuses to
//! open a store whose history diverges (`abort_divergent`) or names a file we no longer ship
//! (`abort_missing`).

use rusqlite::Connection;

use crate::error::{Error, Result};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Applies every pending migration and returns the schema version afterwards.
pub(crate) fn run(conn: &mut Connection, path: &str) -> Result<u32> {
    let report = embedded::migrations::runner()
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .run(conn)
        .map_err(|e| Error::Migrate {
            path: path.to_string(),
            message: e.to_string(),
        })?;
    let applied = report
        .applied_migrations()
        .iter()
        .map(|m| m.version())
        .max();
    match applied {
        Some(v) => Ok(v as u32),
        None => current_version(conn, path),
    }
}

/// The schema version recorded in the store (0 for a store without migrations).
pub(crate) fn current_version(conn: &mut Connection, path: &str) -> Result<u32> {
    let last = embedded::migrations::runner()
        .get_last_applied_migration(conn)
        .map_err(|e| Error::Migrate {
            path: path.to_string(),
            message: e.to_string(),
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
