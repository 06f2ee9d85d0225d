//! Where spec files come from: the spec folder on disk, or a stored bundle (verify).
//!
//! Every path is relative to the spec folder and must stay inside it (D6): absolute paths,
//! `..` that leaves the folder, symlinks that point outside, and files with more than one hard
//! link (whose other name may be outside) are refused, so the stored bundle always holds every
//! file the spec reads. A FIFO, socket or device is refused without being read.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Location, Result, SpecErrorKind};

/// Reads the files of a spec bundle.
pub trait SpecSource {
    /// The bytes of `rel` (a normalised path inside the spec folder, `/`-separated). `at` is
    /// where the spec refers to the file, for the error message.
    fn read(&self, rel: &str, at: &Location) -> Result<Vec<u8>>;
    /// How to name `rel` to the user (`spec/items/x.csv`).
    fn display(&self, rel: &str) -> String;
}

/// Normalises an include path written in a spec: relative, `/`-separated, no `.` or `..`
/// components, not leaving the spec folder.
pub fn normalize_include(written: &str, at: &Location) -> Result<String> {
    let refuse = |why: &'static str| {
        Err(Error::spec(
            at.clone(),
            SpecErrorKind::IncludeOutside {
                written: written.to_string(),
                why,
            },
        ))
    };
    if written.is_empty() {
        return refuse("the path is empty");
    }
    let path = Path::new(written);
    if path.is_absolute() || written.starts_with('/') || written.starts_with('\\') {
        return refuse("absolute paths are not allowed; the file is outside the spec folder");
    }
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => match part.to_str() {
                Some(p) => parts.push(p.to_string()),
                None => return refuse("the path is not valid UTF-8"),
            },
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return refuse("`..` leads outside the spec folder");
                }
            }
            Component::RootDir | Component::Prefix(_) => {
                return refuse(
                    "absolute paths are not allowed; the file is outside the spec folder",
                );
            }
        }
    }
    if parts.is_empty() {
        return refuse("the path names the spec folder itself, not a file");
    }
    Ok(parts.join("/"))
}

/// A spec folder on disk.
pub struct FsSource {
    /// The folder as the user named it (for messages).
    dir: PathBuf,
    /// The folder with symlinks resolved (for the containment check).
    canonical: PathBuf,
}

impl FsSource {
    /// A source reading from `dir`.
    pub fn new(dir: &Path) -> Result<FsSource> {
        let canonical = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        Ok(FsSource {
            dir: dir.to_path_buf(),
            canonical,
        })
    }
}

impl SpecSource for FsSource {
    fn read(&self, rel: &str, at: &Location) -> Result<Vec<u8>> {
        let full = self.dir.join(rel);
        let shown = self.display(rel);
        let resolved = match full.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::spec(
                    at.clone(),
                    SpecErrorKind::IncludeMissing { file: shown },
                ));
            }
            Err(e) => return Err(Error::io(&full, e)),
        };
        if !resolved.starts_with(&self.canonical) {
            return Err(Error::spec(
                at.clone(),
                SpecErrorKind::IncludeSymlinkOutside {
                    file: shown,
                    target: resolved.display().to_string(),
                },
            ));
        }
        if resolved.is_dir() {
            return Err(Error::spec(
                at.clone(),
                SpecErrorKind::IncludeIsDirectory { file: shown },
            ));
        }
        // A FIFO, socket or device is refused at once, never read (it could block forever).
        let (file, meta) = crate::fsutil::open_regular_with_metadata(&resolved).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidInput {
                Error::spec(
                    at.clone(),
                    SpecErrorKind::IncludeNotRegular {
                        file: shown.clone(),
                        why: e.to_string(),
                    },
                )
            } else {
                Error::io(&full, e)
            }
        })?;
        check_single_link(&meta, &shown, at)?;
        crate::fsutil::read_all(file, &meta).map_err(|e| Error::io(&full, e))
    }

    fn display(&self, rel: &str) -> String {
        self.dir.join(rel).display().to_string()
    }
}

/// Refuses a spec file with more than one hard link (D6 against hard links).
///
/// A hard link is the same file under two names, and nothing tells which name is the
/// original: a link inside the spec folder to a file elsewhere (another cohort's catalog
/// list, a file someone keeps editing) would let the spec read — and the bundle store — a file
/// that lives outside the folder, just as a symlink out would. Since where the other names are
/// cannot be checked cheaply, every spec file (config.yaml and each `@file:` include, i.e.
/// every file the bundle stores) must have exactly one link.
#[cfg(unix)]
fn check_single_link(meta: &std::fs::Metadata, shown: &str, at: &Location) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let links = meta.nlink();
    if links <= 1 {
        return Ok(());
    }
    Err(Error::spec(
        at.clone(),
        SpecErrorKind::HardLinks {
            file: shown.to_string(),
            links,
        },
    ))
}

/// Hard links cannot be counted portably off unix; nothing to check.
#[cfg(not(unix))]
fn check_single_link(_meta: &std::fs::Metadata, _shown: &str, _at: &Location) -> Result<()> {
    Ok(())
}

/// A stored bundle: path → bytes.
pub struct BundleSource<'a> {
    files: &'a BTreeMap<String, Vec<u8>>,
    label: String,
}

impl<'a> BundleSource<'a> {
    /// A source over `files`; `label` prefixes paths in messages (e.g. `stored spec of c1`).
    pub fn new(files: &'a BTreeMap<String, Vec<u8>>, label: impl Into<String>) -> Self {
        BundleSource {
            files,
            label: label.into(),
        }
    }
}

impl SpecSource for BundleSource<'_> {
    fn read(&self, rel: &str, at: &Location) -> Result<Vec<u8>> {
        self.files.get(rel).cloned().ok_or_else(|| {
            Error::spec(
                at.clone(),
                SpecErrorKind::NotInBundle {
                    file: self.display(rel),
                },
            )
        })
    }

    fn display(&self, rel: &str) -> String {
        format!("{}/{rel}", self.label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_paths_are_normalised_and_confined() {
        let at = Location::file("c.yaml");
        assert_eq!(
            normalize_include("items/x.csv", &at).unwrap(),
            "items/x.csv"
        );
        assert_eq!(normalize_include("./items/../x.csv", &at).unwrap(), "x.csv");
        for bad in ["../outside.csv", "/etc/passwd", "a/../../b.csv", "", "."] {
            assert!(normalize_include(bad, &at).is_err(), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_may_not_leave_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec");
        std::fs::create_dir_all(spec.join("items")).unwrap();
        std::fs::write(dir.path().join("outside.csv"), "x\n1\n").unwrap();
        std::fs::write(spec.join("items/real.csv"), "x\n1\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.csv"), spec.join("out.csv")).unwrap();
        std::os::unix::fs::symlink(spec.join("items/real.csv"), spec.join("in.csv")).unwrap();
        let source = FsSource::new(&spec).unwrap();
        let at = Location::file("c.yaml");
        assert!(source.read("out.csv", &at).is_err());
        assert_eq!(source.read("in.csv", &at).unwrap(), b"x\n1\n");
        assert!(source.read("items", &at).is_err());
        assert!(source.read("missing.csv", &at).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn hard_links_and_special_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec");
        std::fs::create_dir_all(&spec).unwrap();
        std::fs::write(dir.path().join("outside.csv"), "x\n1\n").unwrap();
        std::fs::hard_link(dir.path().join("outside.csv"), spec.join("linked.csv")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(spec.join("pipe.csv"))
            .status()
            .unwrap();
        assert!(status.success());
        let source = FsSource::new(&spec).unwrap();
        let at = Location::file("c.yaml");
        let err = source.read("linked.csv", &at).unwrap_err().to_string();
        assert!(err.contains("linked.csv has 2 hard links"), "{err}");
        let err = source.read("pipe.csv", &at).unwrap_err().to_string();
        assert!(
            err.contains("pipe.csv is a FIFO, not a regular file"),
            "{err}"
        );
        // Once the other name is gone, the file is an ordinary single-link file.
        std::fs::remove_file(dir.path().join("outside.csv")).unwrap();
        assert_eq!(source.read("linked.csv", &at).unwrap(), b"x\n1\n");
    }
}
