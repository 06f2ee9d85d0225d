//! The one atomic writer: every file cohortdb writes outside the store goes to a temporary file
//! in its target's folder and is renamed into place, so a reader (or an interrupted command)
//! only ever sees a complete file or none.
//!
//! Temporary names are unique and created exclusively (`.NAME.XXXXXX.tmp`, via `tempfile`), so
//! two writers never share one and a planted file or link under a predictable name is never
//! followed. A temporary file is removed when its write fails; a killed process may leave one
//! behind (hidden, never read).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{Error, IoContext, Result};

/// The folder of `path` (`.` for a bare file name).
fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The final component of `path`, for temporary names.
fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// A builder for hidden temporary names `.BASE.XXXXXX<suffix>`. Files and folders get the
/// permissions `File::create` and `create_dir` would give them (0o666 / 0o777 less the umask),
/// not `tempfile`'s owner-only default: exported files are read by other tools and users.
fn builder<'a>(prefix: &'a str, suffix: &'a str, folder: bool) -> tempfile::Builder<'a, 'a> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if folder { 0o777 } else { 0o666 };
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = folder;
    builder
}

/// A new, exclusively created temporary file beside `path`.
fn temp_beside(path: &Path) -> Result<NamedTempFile> {
    let dir = folder(path);
    let prefix = format!(".{}.", name(path));
    builder(&prefix, ".tmp", false).tempfile_in(dir).at(dir)
}

fn filled(path: &Path, bytes: &[u8]) -> Result<NamedTempFile> {
    let mut tmp = temp_beside(path)?;
    let shown = tmp.path().to_path_buf();
    tmp.write_all(bytes).at(&shown)?;
    Ok(tmp)
}

/// Writes `bytes` to `path` atomically, replacing an existing file (creating the folder if
/// needed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = folder(path);
    std::fs::create_dir_all(dir).at(dir)?;
    filled(path, bytes)?
        .persist(path)
        .map(drop)
        .map_err(|e| Error::io(path, e.error))
}

/// Writes `bytes` to `path` atomically unless `path` exists: write-once files (metadata.json,
/// D1) are never replaced. Returns false, writing nothing, when `path` already exists. The
/// folder must exist (export creates a million of them once each; no check per file).
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<bool> {
    match filled(path, bytes)?.persist_noclobber(path) {
        Ok(_) => Ok(true),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io(path, e.error)),
    }
}

/// Streams a file into place atomically: `write` gets the open temporary file and its path
/// (for messages); the file replaces `path` only when `write` succeeds. The folder must exist.
pub fn write_with<E: From<Error>>(
    path: &Path,
    write: impl FnOnce(&mut File, &Path) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut tmp = temp_beside(path)?;
    let shown: PathBuf = tmp.path().to_path_buf();
    write(tmp.as_file_mut(), &shown)?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Writes a folder as a whole: `files` (relative paths and bytes) go to a unique temporary
/// sibling folder first, which then takes the place of `out` (an existing `out` is moved aside
/// and removed).
pub fn write_dir(out: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let parent = folder(out);
    std::fs::create_dir_all(parent).at(parent)?;
    let base = match name(out) {
        n if n.is_empty() => "spec".to_string(),
        n => n,
    };
    let prefix = format!(".{base}.");
    let tmp = builder(&prefix, ".tmp", true)
        .tempdir_in(parent)
        .at(parent)?;
    for (path, bytes) in files {
        let target = tmp.path().join(path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        std::fs::write(&target, bytes).at(&target)?;
    }
    if out.exists() {
        // The old folder moves into a second unique folder, removed when it is dropped.
        let old = builder(&prefix, ".old", true)
            .tempdir_in(parent)
            .at(parent)?;
        std::fs::rename(out, old.path().join(&base)).at(out)?;
        let kept = tmp.keep();
        std::fs::rename(&kept, out).at(out)?;
        old.close().at(out)
    } else {
        let kept = tmp.keep();
        std::fs::rename(&kept, out).at(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("the test folder exists")
            .map(|e| {
                e.expect("a readable entry")
                    .file_name()
                    .to_string_lossy()
                    .to_string()
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_replace_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("sub").join("a.txt");
        write_atomic(&path, b"one").expect("first write");
        write_atomic(&path, b"two").expect("second write");
        assert_eq!(std::fs::read(&path).expect("written"), b"two");
        assert_eq!(names(&dir.path().join("sub")), ["a.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn written_files_and_folders_get_the_usual_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a temp dir");
        let mode = |p: &Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
        let plain = dir.path().join("plain");
        std::fs::write(&plain, b"x").expect("written");
        let atomic = dir.path().join("atomic");
        write_atomic(&atomic, b"x").expect("written");
        assert_eq!(mode(&atomic), mode(&plain));
        let fresh = dir.path().join("fresh");
        assert!(write_new(&fresh, b"x").expect("written"));
        assert_eq!(mode(&fresh), mode(&plain));
        let plain_dir = dir.path().join("plain-dir");
        std::fs::create_dir(&plain_dir).expect("created");
        let spec = dir.path().join("spec");
        write_dir(&spec, &[("a".into(), b"x".to_vec())]).expect("written");
        assert_eq!(mode(&spec), mode(&plain_dir));
    }

    #[test]
    fn write_new_never_replaces() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("metadata.json");
        assert!(write_new(&path, b"first").expect("written"));
        assert!(!write_new(&path, b"second").expect("refused quietly"));
        assert_eq!(std::fs::read(&path).expect("kept"), b"first");
        assert_eq!(names(dir.path()), ["metadata.json"]);
    }

    #[test]
    fn a_planted_fixed_temporary_name_is_not_used() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let planted = dir.path().join(".x.txt.tmp");
        std::fs::write(&planted, b"planted").expect("planted");
        write_atomic(&dir.path().join("x.txt"), b"new").expect("written");
        assert_eq!(std::fs::read(&planted).expect("untouched"), b"planted");
    }

    #[test]
    fn a_failed_stream_leaves_the_target_alone() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("out.csv");
        std::fs::write(&path, b"old").expect("seeded");
        let failed = write_with(&path, |file, _| -> Result<()> {
            file.write_all(b"partial")
                .expect("a temp file takes writes");
            Err(Error::internal("the test stream fails", "stop"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).expect("kept"), b"old");
        assert_eq!(names(dir.path()), ["out.csv"]);
        write_with(&path, |file, tmp| -> Result<()> {
            file.write_all(b"new").at(tmp)
        })
        .expect("written");
        assert_eq!(std::fs::read(&path).expect("replaced"), b"new");
    }

    #[test]
    fn folders_are_replaced_whole() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let out = dir.path().join("spec");
        write_dir(&out, &[("a.yaml".into(), b"a".to_vec())]).expect("first");
        write_dir(&out, &[("b/c.yaml".into(), b"c".to_vec())]).expect("second");
        assert_eq!(names(&out), ["b"]);
        assert_eq!(std::fs::read(out.join("b/c.yaml")).expect("written"), b"c");
        assert_eq!(names(dir.path()), ["spec"]);
    }
}
