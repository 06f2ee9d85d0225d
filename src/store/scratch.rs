//! The scratch files a store is built in before it is linked into place: a new store
//! (`.NAME.creating-XXXXXX.db`) and a backup (`.NAME.partial-XXXXXX.db`), next to their target
//! (docs/storage.md, "Opening"; docs/reliability.md, "Backups").
//!
//! Each is created under a unique name, exclusively (`tempfile`), and locked with `flock(2)`
//! for as long as its process works on it; it is removed when the work ends, failed or not. A
//! process killed meanwhile leaves it behind, unlocked — for a backup, a file the size of the
//! store. The next command that makes a scratch file of the same kind in that folder removes
//! such leftovers, and only those: names of the exact pattern, regular files (a link is never
//! followed or removed), not locked by a live process, and still the file that was checked,
//! with their SQLite companions (`-journal`, `-wal`, `-shm`).
//!
//! The lock is taken on our own descriptor, never closed before SQLite closes its connection
//! to the file: closing any descriptor of a file drops the process's POSIX locks on it, which
//! are SQLite's.

use std::fs::File;
use std::path::{Path, PathBuf};

use tempfile::TempPath;

use crate::error::{IoContext, Result};

/// SQLite's companion files of a database: rollback journal, write-ahead log, its index.
pub(crate) const COMPANIONS: [&str; 3] = ["-journal", "-wal", "-shm"];

/// What a scratch file is for; its name says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A new store, linked into place once its schema is complete.
    Creating,
    /// A backup, linked into place once copied and checked.
    Partial,
}

impl Purpose {
    /// The word between the target's name and the random part.
    fn infix(self) -> &'static str {
        match self {
            Purpose::Creating => "creating",
            Purpose::Partial => "partial",
        }
    }
}

/// How many random characters `tempfile` puts in a name (its default).
const RANDOM_LEN: usize = 6;

/// How many new names are tried when another command's sweep takes each one first.
const ATTEMPTS: usize = 100;

/// An exclusively created, locked scratch file next to a target, removed (with its SQLite
/// companions) when dropped.
pub(crate) struct Scratch {
    path: TempPath,
    /// Holds the `flock` until the scratch file is removed.
    _lock: File,
}

impl Scratch {
    /// Removes the stale scratch files of `purpose` next to `target`, then creates a new one,
    /// empty (an empty file is an empty SQLite database) and locked.
    pub(crate) fn new(target: &Path, purpose: Purpose) -> Result<Scratch> {
        let dir = super::folder(target);
        sweep(&dir, purpose);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "store".to_string());
        let prefix = format!(".{name}.{}-", purpose.infix());
        for _ in 0..ATTEMPTS {
            let file = tempfile::Builder::new()
                .prefix(&prefix)
                .suffix(".db")
                .rand_bytes(RANDOM_LEN)
                .tempfile_in(&dir)
                .at(&dir)?;
            let (lock, path) = file.into_parts();
            // Another command's sweep may have found the new file before the lock was taken:
            // then it is gone (or going), and a new one is made.
            if lock.try_lock().is_ok() && still_named(&path, &lock) {
                return Ok(Scratch { path, _lock: lock });
            }
            // The name is no longer ours to remove: keep it (the other command removes it).
            let _ = path.keep();
        }
        Err(crate::error::Error::io(
            &dir,
            std::io::Error::other("could not create and lock a scratch file"),
        ))
    }

    /// The scratch file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for suffix in COMPANIONS {
            remove_regular(&super::with_suffix(&self.path, suffix));
        }
        // Then `path` removes the file, and `_lock` is closed.
    }
}

/// Whether `path` still names the file `file` is open on.
fn still_named(path: &Path, file: &File) -> bool {
    match (std::fs::symlink_metadata(path), file.metadata()) {
        (Ok(named), Ok(open)) => same_file(&named, &open),
        _ => false,
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// Removes `path` when it is a regular file (never a link, a folder or anything else).
fn remove_regular(path: &Path) {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file()) {
        let _ = std::fs::remove_file(path);
    }
}

/// What a folder entry's name is, for the sweep.
#[derive(Debug, PartialEq, Eq)]
enum Entry<'a> {
    /// A scratch file of the purpose.
    Main,
    /// An SQLite companion of one: the scratch file's name.
    Companion(&'a str),
}

/// Classifies `name` against the scratch pattern of `purpose`:
/// `.` NAME `.` INFIX `-` six letters or digits `.db`, optionally followed by a companion
/// suffix.
fn classify(name: &str, purpose: Purpose) -> Option<Entry<'_>> {
    let (main, companion) = match COMPANIONS.iter().find(|s| name.ends_with(**s)) {
        Some(suffix) => (&name[..name.len() - suffix.len()], true),
        None => (name, false),
    };
    let stem = main.strip_prefix('.')?.strip_suffix(".db")?;
    let marker = format!(".{}-", purpose.infix());
    let at = stem.rfind(&marker)?;
    let random = &stem[at + marker.len()..];
    let ok =
        at > 0 && random.len() == RANDOM_LEN && random.bytes().all(|b| b.is_ascii_alphanumeric());
    match (ok, companion) {
        (false, _) => None,
        (true, false) => Some(Entry::Main),
        (true, true) => Some(Entry::Companion(main)),
    }
}

/// Removes the stale scratch files of `purpose` in `dir` (best effort: what cannot be checked
/// or removed is left alone).
fn sweep(dir: &Path, purpose: Purpose) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut mains: Vec<PathBuf> = Vec::new();
    let mut orphans: Vec<(PathBuf, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        match classify(name, purpose) {
            Some(Entry::Main) => mains.push(dir.join(name)),
            Some(Entry::Companion(main)) => orphans.push((dir.join(name), dir.join(main))),
            None => {}
        }
    }
    for main in &mains {
        remove_if_stale(main);
    }
    // A companion whose scratch file is gone (removed above, or by its process) is stale.
    for (companion, main) in orphans {
        if std::fs::symlink_metadata(&main).is_err() {
            remove_regular(&companion);
        }
    }
}

/// Removes the scratch file `path` and its companions when it is a regular file no live
/// process holds locked.
fn remove_if_stale(path: &Path) {
    let Ok(file) = open_no_follow(path) else {
        return;
    };
    let Ok(meta) = file.metadata() else {
        return;
    };
    if !meta.is_file() || file.try_lock().is_err() || !still_named(path, &file) {
        return;
    }
    for suffix in COMPANIONS {
        remove_regular(&super::with_suffix(path, suffix));
    }
    let _ = std::fs::remove_file(path);
}

/// Opens `path` for reading without following a link or waiting on a FIFO.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
    }
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_pattern_is_a_scratch_name() {
        let p = Purpose::Partial;
        assert_eq!(classify(".b.db.partial-aB3x9Z.db", p), Some(Entry::Main));
        assert_eq!(
            classify(".b.db.partial-aB3x9Z.db-journal", p),
            Some(Entry::Companion(".b.db.partial-aB3x9Z.db"))
        );
        for name in [
            "b.db.partial-aB3x9Z.db",      // not hidden
            "..partial-aB3x9Z.db",         // no name
            ".b.db.partial-aB3x9.db",      // five random characters
            ".b.db.partial-aB3x9Z7.db",    // seven
            ".b.db.partial-aB3x_Z.db",     // not alphanumeric
            ".b.db.partial-aB3x9Z.db.bak", // another suffix
            ".b.db.creating-aB3x9Z.db",    // another purpose
            ".b.db.partial-aB3x9Z.db-wal2",
        ] {
            assert_eq!(classify(name, p), None, "{name}");
        }
        assert_eq!(
            classify(".s.db.creating-000000.db", Purpose::Creating),
            Some(Entry::Main)
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_sweep_removes_unlocked_leftovers_and_nothing_else() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let d = dir.path();
        let write = |name: &str| std::fs::write(d.join(name), b"x").expect("written");
        // A killed backup's file and its journal; an orphaned journal; a look-alike; a link.
        write(".b.db.partial-AAAAAA.db");
        write(".b.db.partial-AAAAAA.db-journal");
        write(".b.db.partial-BBBBBB.db-journal");
        write(".b.db.partial-short.db");
        write("keep.db");
        std::os::unix::fs::symlink(d.join("keep.db"), d.join(".x.partial-CCCCCC.db"))
            .expect("a link");
        std::fs::create_dir(d.join(".y.partial-DDDDDD.db")).expect("a folder");
        // A live backup's file: locked by its process.
        let live = Scratch::new(&d.join("b.db"), Purpose::Partial).expect("created");
        let live_path = live.path().to_path_buf();
        std::fs::write(super::super::with_suffix(&live_path, "-journal"), b"j").expect("written");
        // The next one sweeps.
        let next = Scratch::new(&d.join("c.db"), Purpose::Partial).expect("created");
        let mut left: Vec<String> = std::fs::read_dir(d)
            .expect("readable")
            .map(|e| {
                e.expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        left.sort();
        let live_name = live_path.file_name().expect("a name").to_string_lossy();
        let next_name = next.path().file_name().expect("a name").to_string_lossy();
        let mut expected = vec![
            ".b.db.partial-short.db".to_string(),
            ".x.partial-CCCCCC.db".to_string(),
            ".y.partial-DDDDDD.db".to_string(),
            "keep.db".to_string(),
            live_name.to_string(),
            format!("{live_name}-journal"),
            next_name.to_string(),
        ];
        expected.sort();
        assert_eq!(left, expected);
        assert_eq!(std::fs::read(d.join("keep.db")).expect("kept"), b"x");
        // Dropped: gone with its companion.
        drop(live);
        assert!(!live_path.exists());
        assert!(!super::super::with_suffix(&live_path, "-journal").exists());
    }
}
