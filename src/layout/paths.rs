//! The one path policy for files below a root (docs/reliability.md, "Export stays inside its
//! roots"): every file cohortdb reads or writes in an export folder, a gens root or a
//! `show --spec-out` folder goes through here. A link below a root is never followed — not
//! read through, not written through — and what is met there is named in the refusal.
//!
//! - **Reading** ([`Root`]): the root is opened once; each file below it is opened relative to
//!   it without following any link on the way (`openat2(2)` with `RESOLVE_NO_SYMLINKS` on
//!   Linux, else one `openat(2)` with `O_NOFOLLOW` per component), so nothing can be swapped
//!   between a check and the read. Only regular files are read (a FIFO, socket or device is
//!   refused at once, as `fsutil` refuses it).
//! - **Writing** ([`check_below`], [`create_below`], [`create_one`]): every folder and file
//!   below a root is checked with `symlink_metadata`, folders are created one level at a time,
//!   and the roots themselves are checked before anything is written
//!   ([`check_writable_root`]).
//!
//! A root (`--out`, `--gens-root`, `--spec-out`, the data root's cohort folder) is the user's
//! choice and may itself be a link; what lies below it is data and may not. Stored paths (a
//! spec bundle's file names) are untrusted too: only plain relative paths are joined to a root.

use std::fs::{File, Metadata};
use std::path::{Component, Path, PathBuf};

use crate::error::{Access, Error, ExportError, IoContext, Result};

/// The refusal for a link met below `root`.
fn refuse_link(found: &Path, root: &Path, access: Access) -> Error {
    ExportError::LinkBelowRoot {
        found: found.display().to_string(),
        what: "a symlink",
        root: root.display().to_string(),
        access,
    }
    .into()
}

/// The refusal for an entry of the wrong kind (a FIFO, a device, a file where a folder goes).
fn refuse_kind(found: &Path, t: std::fs::FileType, want_file: bool, access: Access) -> Error {
    ExportError::WrongKind {
        found: found.display().to_string(),
        kind: crate::fsutil::kind_name(t).to_string(),
        want_file,
        access,
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

/// Whether `rel` has only normal components (no root, no `..`, no `.`) and at least one.
fn is_plain(rel: &Path) -> bool {
    rel.components().next().is_some() && rel.components().all(|c| matches!(c, Component::Normal(_)))
}

/// The kind of an existing entry, without following a link: `None` when it does not exist.
fn kind(path: &Path) -> Result<Option<std::fs::FileType>> {
    match std::fs::symlink_metadata(path) {
        Ok(m) => Ok(Some(m.file_type())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// A root folder, opened once, below which files are read without following any link.
pub struct Root {
    path: PathBuf,
    access: Access,
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
}

impl Root {
    /// Opens the folder `path` (a link to a folder is followed: the root is the user's choice).
    /// `access` words the refusals (`Access::Write` for the checks a writer makes before it
    /// writes). `None` when it does not exist.
    pub fn open(path: &Path, access: Access) -> Result<Option<Root>> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            match rustix::fs::open(path, flags, Mode::empty()) {
                Ok(fd) => Ok(Some(Root {
                    path: path.to_path_buf(),
                    access,
                    fd,
                })),
                Err(e) if e == rustix::io::Errno::NOENT => Ok(None),
                Err(e) => Err(Error::io(path, e.into())),
            }
        }
        #[cfg(not(unix))]
        {
            match std::fs::metadata(path) {
                Ok(m) if m.is_dir() => Ok(Some(Root {
                    path: path.to_path_buf(),
                    access,
                })),
                Ok(m) => Err(Error::io(path, crate::fsutil::not_regular(m.file_type()))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(Error::io(path, e)),
            }
        }
    }

    /// The root as named.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the regular file `rel` (a plain relative path) below the root for reading, with
    /// its metadata: `None` when it, or a folder on the way, does not exist. A link anywhere
    /// below the root is refused naming it; so is a folder of the wrong kind on the way, and a
    /// final entry that is not a regular file (`… is a FIFO, not a regular file`).
    pub fn open_file(&self, rel: &Path) -> Result<Option<(File, Metadata)>> {
        if !is_plain(rel) {
            return Err(not_plain(rel, &self.path));
        }
        let full = self.path.join(rel);
        let file = match self.open_beneath(rel) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.explain(rel, e)),
        };
        let meta = file.metadata().at(&full)?;
        if !meta.is_file() {
            return Err(Error::io(
                &full,
                crate::fsutil::not_regular(meta.file_type()),
            ));
        }
        crate::fsutil::clear_nonblocking(&file).at(&full)?;
        Ok(Some((file, meta)))
    }

    /// Reads the regular file `rel` below the root ([`Root::open_file`]); `None` when absent.
    pub fn read(&self, rel: &Path) -> Result<Option<Vec<u8>>> {
        let Some((file, meta)) = self.open_file(rel)? else {
            return Ok(None);
        };
        crate::fsutil::read_all(file, &meta)
            .map(Some)
            .at(self.path.join(rel))
    }

    /// Whether the folder `rel` below the root exists, refusing a link (or a file) on the way
    /// or at it (nothing is opened).
    pub fn has_folder(&self, rel: &Path) -> Result<bool> {
        check_below_as(&self.path, rel, false, self.access)
    }

    #[cfg(unix)]
    fn open_beneath(&self, rel: &Path) -> std::io::Result<File> {
        use rustix::fs::OFlags;
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        nofollow::open(&self.fd, rel, flags)
            .map(File::from)
            .map_err(std::io::Error::from)
    }

    #[cfg(not(unix))]
    fn open_beneath(&self, rel: &Path) -> std::io::Result<File> {
        check_below_as(&self.path, rel, true, self.access)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        crate::fsutil::open_regular(&self.path.join(rel))
    }

    /// The error for an entry below the root that could not be opened: walks the path without
    /// following links to name a link or an entry of the wrong kind; otherwise the OS's error.
    fn explain(&self, rel: &Path, e: std::io::Error) -> Error {
        let full = self.path.join(rel);
        let mut at = self.path.clone();
        let parts: Vec<Component<'_>> = rel.components().collect();
        for (i, part) in parts.iter().enumerate() {
            at.push(part);
            let last = i + 1 == parts.len();
            match kind(&at) {
                Ok(Some(t)) if t.is_symlink() => return refuse_link(&at, &self.path, self.access),
                Ok(Some(t)) if !last && !t.is_dir() => {
                    return refuse_kind(&at, t, false, self.access);
                }
                Ok(Some(t)) if last && !t.is_file() => {
                    return Error::io(&full, crate::fsutil::not_regular(t));
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        Error::io(&full, e)
    }
}

/// Opening below a folder without following links: `openat2(2)` with `RESOLVE_NO_SYMLINKS` and
/// `RESOLVE_BENEATH` where the kernel has it (Linux 5.6), else one `openat(2)` per component
/// with `O_NOFOLLOW`. Both fail (`ELOOP`, or another error the caller explains) at a link
/// anywhere on the way, dangling or not, and both resolve against the opened folder, so a
/// folder renamed or swapped meanwhile cannot redirect them.
#[cfg(unix)]
mod nofollow {
    use std::os::fd::{AsFd, OwnedFd};
    use std::path::{Component, Path};

    use rustix::fs::{Mode, OFlags};
    use rustix::io::{Errno, Result};

    /// Set once `openat2` turned out to be missing (an old kernel, a seccomp filter).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    static NO_OPENAT2: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    /// Opens `rel` (plain and relative) below `dir` with `flags` (which hold `O_NOFOLLOW`).
    pub(super) fn open(dir: &OwnedFd, rel: &Path, flags: OFlags) -> Result<OwnedFd> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            use rustix::fs::ResolveFlags;
            use std::sync::atomic::Ordering;
            if !NO_OPENAT2.load(Ordering::Relaxed) {
                let resolve =
                    ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS | ResolveFlags::BENEATH;
                match rustix::fs::openat2(dir, rel, flags, Mode::empty(), resolve) {
                    Err(Errno::NOSYS | Errno::PERM | Errno::INVAL) => {
                        NO_OPENAT2.store(true, Ordering::Relaxed);
                    }
                    // A rename or mount raced with the lookup: the walk below settles it.
                    Err(Errno::AGAIN) => {}
                    other => return other,
                }
            }
        }
        walk(dir, rel, flags)
    }

    /// One `openat` per component: folders with `O_DIRECTORY | O_NOFOLLOW`, the last with
    /// `flags`.
    fn walk(dir: &OwnedFd, rel: &Path, flags: OFlags) -> Result<OwnedFd> {
        let parts: Vec<Component<'_>> = rel.components().collect();
        let folder = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut current: Option<OwnedFd> = None;
        for (i, part) in parts.iter().enumerate() {
            let Component::Normal(name) = part else {
                return Err(Errno::INVAL);
            };
            let base = current.as_ref().map_or(dir.as_fd(), |fd| fd.as_fd());
            if i + 1 == parts.len() {
                return rustix::fs::openat(base, *name, flags, Mode::empty());
            }
            current = Some(rustix::fs::openat(base, *name, folder, Mode::empty())?);
        }
        Err(Errno::INVAL)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_walk_and_openat2_agree() {
            let root = tempfile::tempdir().expect("a temp dir");
            let r = root.path();
            std::fs::create_dir_all(r.join("a/b")).expect("folders");
            std::fs::write(r.join("a/b/f"), b"x").expect("a file");
            std::os::unix::fs::symlink(r.join("a"), r.join("l")).expect("a link");
            std::os::unix::fs::symlink(r.join("a/b/f"), r.join("a/b/g")).expect("a link");
            let dir = rustix::fs::open(r, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())
                .expect("the root opens");
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW;
            for rel in ["a/b/f", "l/b/f", "a/b/g", "a/b/missing", "missing/f"] {
                let walked = walk(&dir, Path::new(rel), flags).map(drop);
                let opened = open(&dir, Path::new(rel), flags).map(drop);
                assert_eq!(walked.is_ok(), opened.is_ok(), "{rel}");
                assert_eq!(walked.is_ok(), rel == "a/b/f", "{rel}: {walked:?}");
                if rel.contains("missing") {
                    assert_eq!(opened, Err(Errno::NOENT), "{rel}");
                }
            }
        }
    }
}

/// Checks, before writing, `rel` (a plain relative path, `record::is_plain_relative`) below
/// `root`: every existing folder on the way must be a real folder, and the last component,
/// when it exists, must be a regular file (`file`) or a real folder (`!file`). Nothing is
/// created. Returns whether the last component exists.
pub fn check_below(root: &Path, rel: &Path, file: bool) -> Result<bool> {
    check_below_as(root, rel, file, Access::Write)
}

/// [`check_below`], worded for `access`.
fn check_below_as(root: &Path, rel: &Path, file: bool, access: Access) -> Result<bool> {
    if !is_plain(rel) {
        return Err(not_plain(rel, root));
    }
    let mut at = root.to_path_buf();
    let parts: Vec<Component<'_>> = rel.components().collect();
    for (i, part) in parts.iter().enumerate() {
        at.push(part);
        let last = i + 1 == parts.len();
        match kind(&at)? {
            None => return Ok(false),
            Some(t) if t.is_symlink() => return Err(refuse_link(&at, root, access)),
            Some(t) if t.is_dir() && !(last && file) => {}
            Some(t) if t.is_file() && last && file => {}
            Some(t) => return Err(refuse_kind(&at, t, last && file, access)),
        }
    }
    Ok(true)
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
            Some(t) if t.is_symlink() => Err(refuse_link(dir, root, Access::Write)),
            Some(t) => Err(refuse_kind(dir, t, false, Access::Write)),
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
