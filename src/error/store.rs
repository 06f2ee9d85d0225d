//! Why a store file cannot be used, and why its schema migration failed.

use crate::error::{sqlite_said, sqlite_text};
use crate::textfmt::capped;

/// What an SQLite failure says about the store file. Only page-level corruption is damage
/// ("restore it from a backup"); a full device, an I/O error or a permission is said as such
/// (docs/reliability.md, "Say what is really wrong").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// Page-level corruption: `SQLITE_CORRUPT`, `SQLITE_NOTADB`.
    Damaged,
    /// The device is full: `SQLITE_FULL`, or an I/O error with `ENOSPC` or `EDQUOT`.
    NoSpace,
    /// Permission denied (`EACCES`, `EPERM`, `SQLITE_PERM`).
    Permission,
    /// The file system is read-only (`EROFS`).
    ReadOnlyFs,
    /// Another I/O error (the `SQLITE_IOERR` family).
    Io,
    /// Anything else (a lock, memory, a protocol error).
    Other,
}

impl Cause {
    /// Classifies SQLite's error `e`, with the OS error number SQLite saw for it (its
    /// `sqlite3_system_errno`), when known.
    pub fn of(e: &rusqlite::Error, errno: Option<i32>) -> Cause {
        use rusqlite::ErrorCode;
        use std::io::ErrorKind;
        let code = e.sqlite_error_code();
        if matches!(
            code,
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
        ) {
            return Cause::Damaged;
        }
        if code == Some(ErrorCode::DiskFull) {
            return Cause::NoSpace;
        }
        let os = errno
            .filter(|n| *n != 0)
            .map(|n| std::io::Error::from_raw_os_error(n).kind());
        let from_os = match os {
            Some(ErrorKind::StorageFull | ErrorKind::QuotaExceeded) => Some(Cause::NoSpace),
            Some(ErrorKind::PermissionDenied) => Some(Cause::Permission),
            Some(ErrorKind::ReadOnlyFilesystem) => Some(Cause::ReadOnlyFs),
            _ => None,
        };
        match code {
            Some(
                ErrorCode::SystemIoFailure
                | ErrorCode::CannotOpen
                | ErrorCode::PermissionDenied
                | ErrorCode::ReadOnly,
            ) if from_os.is_some() => from_os.unwrap_or(Cause::Other),
            Some(ErrorCode::SystemIoFailure) => Cause::Io,
            Some(ErrorCode::PermissionDenied) => Cause::Permission,
            _ => Cause::Other,
        }
    }
}

/// The text of an [`StoreProblem::Access`] failure: what is wrong, SQLite's and the OS's
/// words, and what to do.
fn access_text(source: &rusqlite::Error, cause: Cause, errno: Option<i32>) -> String {
    let mut said = sqlite_said(source);
    if let Some(n) = errno.filter(|n| *n != 0) {
        said.push_str(&format!(": {}", std::io::Error::from_raw_os_error(n)));
    }
    match cause {
        Cause::NoSpace => format!(
            "no space left on the device holding the store ({said}); free some space and run the \
             command again (the store itself was not changed)"
        ),
        Cause::Permission => format!(
            "permission denied ({said}); this user must be able to read the store and its \
             folder, and to create its -wal and -shm files there (or the folder must be \
             read-only); the store itself is not damaged"
        ),
        Cause::ReadOnlyFs => format!(
            "the file system holding the store is read-only ({said}); commands that write need \
             a writable one; the store itself is not damaged"
        ),
        Cause::Io => format!(
            "an I/O error on the device holding the store ({said}); check the device, then run \
             the command again; an I/O error is not damage to the store's pages"
        ),
        Cause::Damaged | Cause::Other => format!("cannot read the store ({said})"),
    }
}

/// What is wrong with a store file (`Error::BadStore`). Nothing was changed; each kind's text
/// names the way out (docs/reliability.md).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreProblem {
    /// The path is a folder or a special file.
    #[error("not a file")]
    NotAFile,
    /// The path is a symbolic link to nothing: a store is never created through a link.
    #[error(
        "a symbolic link to a missing file; cohortdb creates no store through a link (point          --db at the store, or remove the link)"
    )]
    DanglingLink,
    /// A new store's folder does not exist (a store is created in an existing folder).
    #[error("its folder does not exist; create the folder first, or point --db at another path")]
    NoFolder,
    /// A zero-byte file (what a failed command may leave).
    #[error(
        "the file is empty (0 bytes), not a cohortdb store; remove it if a failed command left \
         it, or point --db at the store"
    )]
    Empty,
    /// The file does not start with SQLite's header.
    #[error(
        "not an SQLite database (the file header is wrong: another kind of file, or a damaged \
         store); restore the store from a backup, or point --db at the store"
    )]
    NotSqlite,
    /// A writing command was given a store (or folder) it may not write.
    #[error(
        "the store or its folder is read-only; commands that write (init, import, build) need \
         write access to both (reading commands work on a read-only store)"
    )]
    ReadOnly,
    /// A reader that may not write the store found it without the `-wal` or `-shm` file a
    /// read needs (a copy, or another SQLite client closed it last and removed them) and cannot
    /// create them (docs/storage.md, "Sharing a store").
    #[error(
        "this user may not write the store, and it has no {missing} file next to it, which a \
         reader needs to see the owner's writes consistently (another SQLite client that closes \
         the store last removes them); the store's owner runs any cohortdb command once (e.g. \
         `cohortdb init`), which puts them back to stay"
    )]
    NoWalFiles {
        /// The missing files: `-wal`, `-shm`, or `-wal and -shm`.
        missing: &'static str,
    },
    /// A reader that may not write the store cannot read its `-wal` or `-shm` file.
    #[error(
        "this user may not write the store and cannot read its {suffix} file ({source}); the \
         store's owner gives it the store file's permissions (`chmod --reference=STORE \
         STORE{suffix}`)"
    )]
    WalFileUnreadable {
        /// `-wal` or `-shm`.
        suffix: &'static str,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// On a read-only mount or for a frozen store file, a store whose `-wal` holds commits
    /// but that has no `-shm` file.
    #[error(
        "the store's -wal file holds commits not yet copied into the store file, and there is \
         no -shm file to read them with, which this user cannot create; copy the store with \
         `cohortdb backup` where it can be written, or have its owner open it once there"
    )]
    WalWithoutIndex,
    /// A reader that may not write the store found work a writer left unfinished (a hot
    /// rollback journal, a write-ahead log needing recovery), which only a writer can complete.
    #[error(
        "a writer stopped before finishing its work on the store, which waits in its {file} \
         file, and only a user who may write the store can complete it; the store's owner runs \
         any cohortdb command once (e.g. `cohortdb init`)"
    )]
    NeedsOwner {
        /// `-journal` or `-wal`.
        file: &'static str,
    },
    /// SQLite refused to open the file.
    #[error("cannot open the store: {}", sqlite_text(source))]
    CannotOpen {
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// SQLite refused to create the file.
    #[error("cannot create the store: {}", sqlite_text(source))]
    CannotCreate {
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The first read of the schema failed for a reason that is neither damage nor the device
    /// (a lock held too long, memory).
    #[error("cannot read the store ({})", sqlite_text(source))]
    Unreadable {
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// SQLite could not read or write the store for a reason outside it: a full device, an I/O
    /// error, a permission, a read-only file system. Nothing was changed.
    #[error("{}", access_text(source, *cause, *errno))]
    Access {
        /// SQLite's error.
        source: rusqlite::Error,
        /// What it says (never [`Cause::Damaged`]).
        cause: Cause,
        /// The OS error number SQLite saw, when known.
        errno: Option<i32>,
    },
    /// An SQLite database without cohortdb's schema history.
    #[error(
        "an SQLite database, but not a cohortdb store (it has no schema history); point --db at \
         the store, or at a new file name to create one"
    )]
    Foreign,
    /// The schema history could not be read.
    #[error("cannot read the store's schema history ({source}); restore it from a backup")]
    HistoryUnreadable {
        /// The failure reading it.
        source: Box<crate::Error>,
    },
    /// The store was written by a newer cohortdb.
    #[error(
        "the store has schema version {version}, newer than this cohortdb knows ({latest}); use \
         the cohortdb that wrote it, or a newer one"
    )]
    Newer {
        /// The store's schema version.
        version: u32,
        /// The newest version this cohortdb knows.
        latest: u32,
    },
    /// Page-level corruption (`SQLITE_CORRUPT`, `SQLITE_NOTADB`) met reading the store.
    #[error(
        "the store is damaged ({}); restore it from a backup",
        sqlite_said(source)
    )]
    Damaged {
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// `quick_check` found page-level problems (a b-tree, a record, a page list; not a row
    /// that breaks a CHECK or NOT NULL constraint, which `verify` reports for its cohort).
    #[error(
        "the store is damaged (quick_check: {}); restore it from a backup",
        capped(&problems.join("; "))
    )]
    QuickCheck {
        /// The problems it reported.
        problems: Vec<String>,
    },
}

/// Why a schema migration (or reading the schema version) failed (`Error::Migrate`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationFailure {
    /// refinery failed to apply the pending migrations; the grouped run left the store as it was.
    #[error(
        "{}; the store was left unchanged (restore it from a backup if it cannot be opened)",
        capped(&source.to_string())
    )]
    Failed {
        /// refinery's error.
        source: refinery::Error,
    },
    /// Comparing the store's schema with a version's failed (an SQLite error).
    #[error(
        "{}; the store was left unchanged (restore it from a backup if it cannot be opened)",
        sqlite_text(source)
    )]
    Schema {
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// refinery could not read the schema history.
    #[error("{}", capped(&source.to_string()))]
    History {
        /// refinery's error.
        source: refinery::Error,
    },
    /// A reading command met a store with pending migrations (readers never migrate).
    #[error(
        "the store has schema version {recorded} but this cohortdb needs {latest}; run \
         `cohortdb init` to migrate it"
    )]
    Outdated {
        /// The store's schema version.
        recorded: u32,
        /// The version this cohortdb needs.
        latest: u32,
    },
}

impl StoreProblem {
    /// The problem an SQLite failure `source` reading the store is: damage for page-level
    /// corruption only, a full device, an I/O error or a permission as such (with `errno`, the
    /// OS error SQLite saw), `other` for anything else.
    pub fn from_sqlite(
        source: rusqlite::Error,
        errno: Option<i32>,
        other: impl FnOnce(rusqlite::Error) -> StoreProblem,
    ) -> StoreProblem {
        match Cause::of(&source, errno) {
            Cause::Damaged => StoreProblem::Damaged { source },
            Cause::Other => other(source),
            cause => StoreProblem::Access {
                source,
                cause,
                errno,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32, msg: &str) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(msg.into()))
    }

    #[test]
    fn only_page_level_corruption_is_damage() {
        let unreadable = |source| StoreProblem::Unreadable { source };
        let text = |code, msg, errno| {
            StoreProblem::from_sqlite(failure(code, msg), errno, unreadable).to_string()
        };
        // SQLITE_CORRUPT, SQLITE_NOTADB
        assert!(text(11, "database disk image is malformed", None).contains("damaged"));
        assert!(text(26, "file is not a database", None).contains("restore it from a backup"));
        // SQLITE_FULL; SQLITE_IOERR_SHMSIZE with ENOSPC; SQLITE_IOERR_WRITE with EDQUOT
        let full = text(13, "database or disk is full", None);
        assert!(
            full.starts_with("no space left on the device holding the store"),
            "{full}"
        );
        let shm = text(4874, "disk I/O error", Some(28));
        assert!(
            shm.starts_with("no space left on the device holding the store (disk I/O error: ")
                && shm.contains("(os error 28)"),
            "{shm}"
        );
        assert!(text(778, "disk I/O error", Some(122)).starts_with("no space left"));
        // SQLITE_IOERR_READ with EIO; SQLITE_CANTOPEN with EACCES; SQLITE_IOERR with EROFS
        let io = text(266, "disk I/O error", Some(5));
        assert!(io.starts_with("an I/O error on the device"), "{io}");
        assert!(
            text(14, "unable to open database file", Some(13)).starts_with("permission denied")
        );
        assert!(text(10, "disk I/O error", Some(30)).contains("is read-only"));
        // Nothing of that: SQLite's words (with what a lock means), and no advice to restore.
        let busy = text(5, "database is locked", None);
        assert!(
            busy.starts_with("cannot read the store (database is locked (another connection"),
            "{busy}"
        );
        for t in [full, shm, io, busy] {
            assert!(!t.contains("damaged") && !t.contains("restore"), "{t}");
        }
    }
}
