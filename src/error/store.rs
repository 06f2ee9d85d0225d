//! Why a store file cannot be used, and why its schema migration failed.

use crate::error::sqlite_text;
use crate::textfmt::capped;

/// What is wrong with a store file (`Error::BadStore`). Nothing was changed; each kind's text
/// names the way out (docs/reliability.md).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreProblem {
    /// The path is a folder or a special file.
    #[error("not a file")]
    NotAFile,
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
    /// The first read of the schema failed (a damaged header or a foreign file).
    #[error(
        "cannot read the store ({}); restore it from a backup",
        sqlite_text(source)
    )]
    Unreadable {
        /// SQLite's error.
        source: rusqlite::Error,
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
    /// `quick_check` could not run.
    #[error(
        "the store is damaged ({}); restore it from a backup",
        sqlite_text(source)
    )]
    Damaged {
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// `quick_check` found problems.
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
