//! `cohortdb backup DEST`: a consistent copy of a live store in one self-contained file.
//!
//! Copying `cohorts.db` with `cp` can miss committed cohorts that are still in `cohorts.db-wal`
//! while any process holds the store open. The backup instead reads one consistent snapshot
//! through SQLite's online backup API (readers and writers may keep working), writes it to a
//! temporary file next to DEST, switches the copy out of WAL mode (so it needs no `-wal` file),
//! checks it with `PRAGMA quick_check`, and links it into place — refusing an existing DEST.

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::{Store, file_uri, scratch_file, with_suffix};
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
    if fs::symlink_metadata(dest).is_ok() {
        return Err(Error::from(UsageError::BackupExists {
            path: dest.display().to_string(),
        }));
    }
    store.quick_check()?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup".to_string());
    let tmp = scratch_file(dest, &format!(".{name}.partial-"))?;
    let result = copy_to(store, &tmp, dest);
    for suffix in ["-wal", "-shm", "-journal"] {
        let _ = fs::remove_file(with_suffix(&tmp, suffix));
    }
    result
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
}
