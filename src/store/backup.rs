//! `cohortdb backup DEST`: a consistent copy of a live store in one self-contained file.
//!
//! Copying `cohorts.db` with `cp` can miss committed cohorts that are still in `cohorts.db-wal`
//! while any process holds the store open. The backup instead reads one consistent snapshot
//! through SQLite's online backup API (readers and writers may keep working), writes it to a
//! scratch file next to DEST (`super::scratch`: locked while in use, removed by the next backup
//! into that folder if this one is killed), switches the copy out of WAL mode (so it needs no
//! `-wal` file), checks it with `PRAGMA quick_check`, and links it into place.
//!
//! DEST is refused when it exists, when its name is one SQLite gives a companion file of some
//! database (`X-journal`, `X-wal`, `X-shm`, a super-journal `X-mj…`: whoever next opens `X`
//! would replay or delete the copy), and when a companion of DEST itself exists (SQLite would
//! apply it to the copy when the copy is opened) (docs/reliability.md, "Backups").

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::scratch::{COMPANIONS, Purpose, Scratch};
use super::{Store, file_uri, with_suffix};
use crate::error::{DbContext, Error, ExportError, Result, UsageError};

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The new file.
    pub dest: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its schema version.
    pub schema_version: u32,
    /// How many cohorts it holds.
    pub cohorts: u64,
}

/// Copies the store `store` (opened read-only) to `dest`, which must not exist.
pub fn backup(store: &Store, dest: &Path) -> Result<BackupReport> {
    check_dest(dest)?;
    store.quick_check()?;
    let scratch = Scratch::new(dest, Purpose::Partial)?;
    // Dropping `scratch` (after the copy's connection is closed) removes the file and its
    // companions.
    copy_to(store, scratch.path(), dest)
}

/// The companion suffix `name` ends with, lower-cased (`-wal`, `-journal`, `-shm`, or a
/// super-journal's `-mjXXXXXX9XX`), compared without regard to case: on a case-insensitive
/// file system `X-WAL` is `X-wal`.
fn companion_suffix(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if let Some(suffix) = COMPANIONS.iter().find(|s| lower.ends_with(**s)) {
        return (lower.len() > suffix.len()).then(|| suffix.to_string());
    }
    // SQLite names a super-journal `<db>-mj` + six hex digits + `9` + two hex digits.
    let tail = lower.get(lower.len().checked_sub(12)?..)?;
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    (lower.len() > 12
        && tail.starts_with("-mj")
        && hex(&tail[3..9])
        && &tail[9..10] == "9"
        && hex(&tail[10..]))
    .then(|| tail.to_string())
}

/// Refuses a `dest` that is named like a companion of a database (whether it exists or not),
/// that exists, or beside which a companion of its own exists.
fn check_dest(dest: &Path) -> Result<()> {
    let shown = dest.display().to_string();
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(suffix) = companion_suffix(&name) {
        let base = name[..name.len() - suffix.len()].to_string();
        return Err(UsageError::BackupCompanionName {
            path: shown,
            base: dest.with_file_name(base).display().to_string(),
            suffix,
        }
        .into());
    }
    if fs::symlink_metadata(dest).is_ok() {
        return Err(UsageError::BackupExists { path: shown }.into());
    }
    for suffix in COMPANIONS {
        let companion = with_suffix(dest, suffix);
        if fs::symlink_metadata(&companion).is_ok() {
            return Err(UsageError::BackupCompanionExists {
                path: shown,
                companion: companion.display().to_string(),
                suffix: suffix.to_string(),
            }
            .into());
        }
    }
    Ok(())
}

fn copy_to(store: &Store, tmp: &Path, dest: &Path) -> Result<BackupReport> {
    let flags = OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE;
    let mut copy =
        Connection::open_with_flags(file_uri(tmp, "")?, flags).db("create backup file")?;
    {
        let backup = rusqlite::backup::Backup::new(store.conn(), &mut copy).db("backup")?;
        backup
            .run_to_completion(1024, std::time::Duration::ZERO, None)
            .db("backup")?;
    }
    copy.pragma_update(None, "journal_mode", "delete")
        .db("backup journal_mode")?;
    let check: String = copy
        .query_row("pragma quick_check", [], |r| r.get(0))
        .db("backup quick_check")?;
    if check != "ok" {
        return Err(ExportError::BackupCheckFailed { check }.into());
    }
    let cohorts: i64 = copy
        .query_row(crate::store::queries::RECORD_COUNT, [], |r| r.get(0))
        .db("record_count")?;
    copy.close().map_err(|(_, e)| Error::Db {
        query: "close backup file",
        source: e,
    })?;
    fs::hard_link(tmp, dest).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::from(UsageError::BackupExists {
                path: dest.display().to_string(),
            })
        } else {
            Error::io(dest, e)
        }
    })?;
    let bytes = fs::metadata(dest).map_or(0, |m| m.len());
    Ok(BackupReport {
        dest: dest.to_path_buf(),
        bytes,
        schema_version: store.schema_version(),
        cohorts: u64::try_from(cohorts).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_holds_what_the_wal_holds_and_refuses_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(Store::open(&path).unwrap());
        // A reader keeps the store open, so the writer's commit stays in the WAL.
        let reader = Connection::open(&path).unwrap();
        reader
            .query_row("select count(*) from cohort_records", [], |_| Ok(()))
            .unwrap();
        let raw = Connection::open(&path).unwrap();
        raw.execute(
            crate::store::queries::BATCH_INSERT,
            rusqlite::params![
                1,
                "concepts",
                "a.csv",
                "b3",
                "[]",
                "2026-01-01T00:00:00Z",
                1
            ],
        )
        .unwrap();
        drop(raw);
        let store = Store::open_read_only(&path).unwrap();
        let dest = dir.path().join("copy.db");
        let report = backup(&store, &dest).unwrap();
        assert_eq!(report.schema_version, crate::store::latest_version());
        assert!(!with_suffix(&dest, "-wal").exists());
        let copy = Store::open_read_only(&dest).unwrap();
        let src_batches: i64 = store
            .conn()
            .query_row("select count(*) from import_batches", [], |r| r.get(0))
            .unwrap();
        let copy_batches: i64 = copy
            .conn()
            .query_row("select count(*) from import_batches", [], |r| r.get(0))
            .unwrap();
        assert_eq!(src_batches, copy_batches);
        let err = backup(&store, &dest).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        drop(reader);
    }

    #[test]
    fn companion_names_are_recognised_in_any_case() {
        for (name, suffix) in [
            ("cohorts.db-journal", Some("-journal")),
            ("cohorts.db-wal", Some("-wal")),
            ("x-SHM", Some("-shm")),
            ("cohorts.db-mjA1B2C39FF", Some("-mja1b2c39ff")),
            ("-wal", None),
            ("cohorts.db", None),
            ("cohorts.db-wal2", None),
            ("cohorts.db-mjA1B2C38FF", None),
            ("backup-journal.db", None),
        ] {
            assert_eq!(companion_suffix(name).as_deref(), suffix, "{name}");
        }
    }
}
