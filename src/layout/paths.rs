//! Staying inside a root while writing below it (docs/reliability.md, "Export stays inside its
//! roots"): every folder and file below a root is checked with `symlink_metadata` (a link is
//! never followed, never written through), folders are created one level at a time, and the
//! roots themselves are checked before anything is written.
//!
//! A root (`--out`, `--gens-root`) is the user's choice and may itself be a link; what lies
//! below it is data and may not.

use std::fs::File;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, ExportError, IoContext, Result};

/// The refusal for a link (or another non-folder) met below `root`.
fn refuse_link(found: &Path, root: &Path, what: &'static str) -> Error {
    ExportError::LinkBelowRoot {
        found: found.display().to_string(),
        what,
        root: root.display().to_string(),
    }
    .into()
}

/// The refusal for an entry of the wrong kind (a FIFO, a device, a file where a folder goes).
fn refuse_kind(found: &Path, t: std::fs::FileType, want_file: bool) -> Error {
    ExportError::WrongKind {
        found: found.display().to_string(),
        kind: crate::fsutil::kind_name(t).to_string(),
        want_file,
    }
    .into()
}

/// The refusal for a path that is not plain and relative.
fn not_plain(rel: &Path, root: &Path) -> Error {
    ExportError::NotPlainRelative {
        rel: rel.display().to_string(),
        root: root.display().to_string(),
    }
    .into()
}

/// The kind of an existing entry, without following a link: `None` when it does not exist.
fn kind(path: &Path) -> Result<Option<std::fs::FileType>> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(m.file_type())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Checks `rel` (a plain relative path, `record::is_plain_relative`) below `root`: every
/// existing folder on the way must be a real folder, and the last component, when it exists,
/// must be a regular file (`file`) or a real folder (`!file`). Nothing is created.
pub fn check_below(root: &Path, rel: &Path, file: bool) -> Result<()> {
    let mut at = root.to_path_buf();
    let parts: Vec<Component<'_>> = rel.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let Component::Normal(name) = part else {
            return Err(not_plain(rel, root));
        };
        at.push(name);
        let last = i + 1 == parts.len();
        match kind(&at)? {
            None => return Ok(()),
            Some(t) if t.is_symlink() => return Err(refuse_link(&at, root, "a symlink")),
            Some(t) if t.is_dir() && !(last && file) => {}
            Some(t) if t.is_file() && last && file => {}
            Some(t) => return Err(refuse_kind(&at, t, last && file)),
        }
    }
    Ok(())
}

/// Creates the folders of `rel` below `root` one level at a time (`root` itself with its
/// ancestors, as the user named it), refusing a link or a file on the way. Returns the folder.
pub fn create_below(root: &Path, rel: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(root).at(root)?;
    let mut at = root.to_path_buf();
    for part in rel.components() {
        let Component::Normal(name) = part else {
            return Err(not_plain(rel, root));
        };
        at.push(name);
        create_one(root, &at)?;
    }
    Ok(at)
}

/// Creates one folder, or accepts an existing real folder; refuses a link or a file.
pub fn create_one(root: &Path, dir: &Path) -> Result<()> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match kind(dir)? {
            Some(t) if t.is_dir() => Ok(()),
            Some(t) if t.is_symlink() => Err(refuse_link(dir, root, "a symlink")),
            Some(t) => Err(refuse_kind(dir, t, false)),
            None => Err(Error::io(dir, e)),
        },
        Err(e) => Err(Error::io(dir, e)),
    }
}

/// Checks, before anything is written, that `root` can be written: it is a folder, or its
/// nearest existing ancestor is a folder that the process may write to (`access(2)`, `W_OK`).
pub fn check_writable_root(root: &Path, flag: &str) -> Result<()> {
    let mut at = root.to_path_buf();
    loop {
        match std::fs::metadata(&at) {
            Ok(m) if m.is_dir() => break,
            Ok(m) => {
                return Err(ExportError::RootNotFolder {
                    flag: flag.to_string(),
                    root: root.display().to_string(),
                    at: at.display().to_string(),
                    kind: crate::fsutil::kind_name(m.file_type()).to_string(),
                }
                .into());
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                if !at.pop() || at.as_os_str().is_empty() {
                    at = PathBuf::from(".");
                }
            }
            Err(e) => return Err(Error::io(&at, e)),
        }
    }
    if !writable(&at) {
        return Err(ExportError::RootNotWritable {
            flag: flag.to_string(),
            root: root.display().to_string(),
            at: at.display().to_string(),
        }
        .into());
    }
    Ok(())
}

#[cfg(unix)]
fn writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

#[cfg(not(unix))]
fn writable(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| !m.permissions().readonly())
}

/// An advisory, exclusive lock on a folder (`flock(2)` on the folder itself, so no lock file is
/// left in it), held until dropped. Exports seeding one gens root take it around checking and
/// writing metadata, so overlapping exports run one after the other there.
pub struct DirLock {
    file: File,
}

impl DirLock {
    /// Waits for and takes the lock on `dir` (which must exist).
    pub fn exclusive(dir: &Path) -> Result<DirLock> {
        let file = File::open(dir).at(dir)?;
        file.lock().at(dir)?;
        Ok(DirLock { file })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first says so explicitly.
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn links_below_a_root_are_refused_and_folders_are_created_level_by_level() {
        let root = tempfile::tempdir().expect("a temp dir");
        let outside = tempfile::tempdir().expect("a temp dir");
        let r = root.path();
        std::os::unix::fs::symlink(outside.path(), r.join("spec")).expect("a link");
        let err = create_below(r, Path::new("spec/items")).expect_err("refused");
        assert!(err.to_string().contains("is a symlink"), "{err}");
        assert!(
            std::fs::read_dir(outside.path())
                .expect("readable")
                .next()
                .is_none()
        );
        let err = check_below(r, Path::new("spec/items/x.csv"), true).expect_err("refused");
        assert!(err.to_string().contains("spec is a symlink"), "{err}");
        std::fs::remove_file(r.join("spec")).expect("removed");
        let made = create_below(r, Path::new("spec/items")).expect("created");
        assert!(made.is_dir());
        check_below(r, Path::new("spec/items/x.csv"), true).expect("nothing there yet");
        std::os::unix::fs::symlink("/etc/passwd", made.join("x.csv")).expect("a link");
        assert!(check_below(r, Path::new("spec/items/x.csv"), true).is_err());
        std::fs::write(r.join("file"), b"x").expect("written");
        assert!(check_writable_root(&r.join("file/sub"), "--out").is_err());
        check_writable_root(&r.join("new/deeper"), "--out").expect("creatable");
    }

    #[test]
    fn a_folder_lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let held = DirLock::exclusive(dir.path()).expect("locked");
        let other = File::open(dir.path()).expect("opened");
        assert!(other.try_lock().is_err(), "held by the first");
        drop(held);
        assert!(other.try_lock().is_ok(), "free again");
    }
}
