//! Schema migrations: `migrations/V<n>__<name>.sql`, embedded at compile time and applied when a
//! store opens. Landed migrations are never edited: refinery checksums each one and refuses to
//! open a store whose history diverges (`abort_divergent`) or names a file we no longer ship
//! (`abort_missing`).

use rusqlite::Connection;

use crate::error::{Error, Result};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// How many times a migration run is retried while another process is migrating the same store.
const MAX_ATTEMPTS: u32 = 10;

/// Applies every pending migration and returns the schema version afterwards.
///
/// Two processes opening a new store at once both see the migrations pending; the one that
/// commits second fails (`table … already exists`). Refinery applies each migration and its
/// history row in one transaction, so a failed attempt leaves nothing half-applied: when the
/// recorded version moved during the attempt, another process did the work, and the run is
/// retried from the new version.
pub(crate) fn run(conn: &mut Connection, path: &str) -> Result<u32> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        // A store another process is creating may not have the history table yet.
        let before = current_version(conn, path).unwrap_or(0);
        let outcome = embedded::migrations::runner()
            .set_abort_divergent(true)
            .set_abort_missing(true)
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
                if !moved || attempt >= MAX_ATTEMPTS {
                    return Err(Error::Migrate {
                        path: path.to_string(),
                        message: e.to_string(),
                    });
                }
            }
        }
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
