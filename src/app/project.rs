//! The project file (docs/cli.md, "The project file"): `cohortdb.yaml` in a project's top
//! folder names its store and data root, so every command finds them from any subfolder, as
//! git, cargo and dbt find their project. A `--db` or `--data-root` flag (or `COHORTDB_DB`,
//! `COHORTDB_DATA_ROOT`) still wins, setting by setting; without a project file the defaults
//! are `cohorts.db` and `data` in the current folder.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result, UsageError};

/// The project file's name.
pub const PROJECT_FILE: &str = "cohortdb.yaml";
/// The store when neither a flag nor a project file names one.
pub const DEFAULT_DB: &str = "cohorts.db";
/// The data root when neither a flag nor a project file names one.
pub const DEFAULT_DATA_ROOT: &str = "data";

/// What a project file holds; paths are relative to its folder (or absolute).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// The store file.
    #[serde(default = "default_db")]
    pub db: PathBuf,
    /// The data root.
    #[serde(default = "default_data_root")]
    pub data_root: PathBuf,
}

fn default_db() -> PathBuf {
    PathBuf::from(DEFAULT_DB)
}

fn default_data_root() -> PathBuf {
    PathBuf::from(DEFAULT_DATA_ROOT)
}

impl Default for ProjectFile {
    fn default() -> Self {
        ProjectFile {
            db: default_db(),
            data_root: default_data_root(),
        }
    }
}

impl ProjectFile {
    /// The file's text, as `init` writes it to `file`. A path that is not UTF-8 cannot be
    /// written in a YAML file as it is (a lossy copy would name another file): refused.
    pub fn to_yaml(&self, file: &Path) -> Result<String> {
        Ok(format!(
            "# The cohortdb project: commands run anywhere below this folder use this store and\n\
             # data root (paths relative to this file). docs/cli.md, \"The project file\".\n\
             db: {}\ndata_root: {}\n",
            yaml_scalar(file, "db", &self.db)?,
            yaml_scalar(file, "data_root", &self.data_root)?
        ))
    }
}

/// A path as a YAML scalar: double-quoted with JSON escapes (JSON is YAML), so any name reads
/// back as written.
fn yaml_scalar(file: &Path, key: &str, path: &Path) -> Result<String> {
    let Some(text) = path.to_str() else {
        return Err(UsageError::BadProjectFile {
            path: file.display().to_string(),
            problem: format!(
                "cannot name {key} {}: the path is not UTF-8 and a project file holds text; \
                 use a UTF-8 name, or run with --db and --data-root and no project file",
                crate::textfmt::capped(&path.to_string_lossy())
            ),
        }
        .into());
    };
    serde_json::to_string(text)
        .map_err(|e| crate::error::Error::internal("a string is JSON", e.to_string()))
}

/// A project file found from a folder upward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The project file.
    pub file: PathBuf,
    /// What it says.
    pub settings: ProjectFile,
}

impl Project {
    /// The nearest `cohortdb.yaml` in `start` or a folder above it, read and checked; `None`
    /// when there is none. A project file that is not a regular file, not UTF-8 or not valid
    /// is an error naming it (never silently skipped: that would pick another store).
    pub fn discover(start: &Path) -> Result<Option<Project>> {
        for dir in start.ancestors() {
            let file = dir.join(PROJECT_FILE);
            match std::fs::symlink_metadata(&file) {
                Ok(_) => return Project::load(&file).map(Some),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e).at(&file),
            }
        }
        Ok(None)
    }

    /// Reads the project file `file`.
    pub fn load(file: &Path) -> Result<Project> {
        let bad = |problem: String| UsageError::BadProjectFile {
            path: file.display().to_string(),
            problem,
        };
        let bytes = crate::fsutil::read_regular(file).at(file)?;
        let text = String::from_utf8(bytes)
            .map_err(|e| bad(format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to())))?;
        let settings: ProjectFile = if text.trim().is_empty() {
            ProjectFile::default()
        } else {
            serde_yaml::from_str(&text).map_err(|e| bad(crate::textfmt::capped(&e.to_string())))?
        };
        for (key, path) in [("db", &settings.db), ("data_root", &settings.data_root)] {
            if path.as_os_str().is_empty() {
                return Err(bad(format!("{key} is empty")).into());
            }
        }
        Ok(Project {
            file: file.to_path_buf(),
            settings,
        })
    }

    /// The folder the project file is in.
    pub fn dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new("."))
    }
}

/// Where a command's store and data root are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locations {
    /// The store file.
    pub db: PathBuf,
    /// The data root.
    pub data_root: PathBuf,
    /// The project file the paths came from, if any did.
    pub project: Option<PathBuf>,
}

/// Resolves the store and the data root of a command run in `cwd`: each from `db` /
/// `data_root` when given (a flag or its environment variable), else from the nearest project
/// file at or above `cwd` (as a path relative to `cwd`, `../../cohorts.db` from two folders
/// down), else the defaults in `cwd`.
pub fn locate(db: Option<PathBuf>, data_root: Option<PathBuf>, cwd: &Path) -> Result<Locations> {
    if let (Some(db), Some(data_root)) = (&db, &data_root) {
        return Ok(Locations {
            db: db.clone(),
            data_root: data_root.clone(),
            project: None,
        });
    }
    let Some(project) = Project::discover(cwd)? else {
        return Ok(Locations {
            db: db.unwrap_or_else(default_db),
            data_root: data_root.unwrap_or_else(default_data_root),
            project: None,
        });
    };
    let up = relative_to(project.dir(), cwd);
    let from_project = |path: &Path| {
        // A team store's URL (docs/postgres.md) is not a path.
        if path.is_absolute() || path.to_str().is_some_and(crate::team::is_url) {
            path.to_path_buf()
        } else {
            up.join(path)
        }
    };
    Ok(Locations {
        db: db.unwrap_or_else(|| from_project(&project.settings.db)),
        data_root: data_root.unwrap_or_else(|| from_project(&project.settings.data_root)),
        project: Some(project.file),
    })
}

/// `ancestor` as a path relative to `cwd` (`..` once per folder `cwd` is below it), or
/// `ancestor` itself when it is not an ancestor.
fn relative_to(ancestor: &Path, cwd: &Path) -> PathBuf {
    match cwd.strip_prefix(ancestor) {
        Ok(below) => {
            let mut up = PathBuf::new();
            for component in below.components() {
                if matches!(component, Component::Normal(_)) {
                    up.push("..");
                }
            }
            up
        }
        Err(_) => ancestor.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_file_is_found_from_a_subfolder_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        std::fs::write(top.join(PROJECT_FILE), "db: store/c.db\ndata_root: d\n").unwrap();
        let sub = top.join("d/cohorts/x");
        std::fs::create_dir_all(&sub).unwrap();
        let found = locate(None, None, &sub).unwrap();
        assert_eq!(found.db, Path::new("../../../store/c.db"));
        assert_eq!(found.data_root, Path::new("../../../d"));
        assert_eq!(
            found.project.as_deref(),
            Some(top.join(PROJECT_FILE).as_path())
        );
        let flagged = locate(Some("x.db".into()), None, &sub).unwrap();
        assert_eq!(flagged.db, Path::new("x.db"));
        assert_eq!(flagged.data_root, Path::new("../../../d"));
        let at_top = locate(None, None, top).unwrap();
        assert_eq!(at_top.db, Path::new("store/c.db"));
    }

    #[test]
    fn without_a_project_file_the_defaults_are_in_the_current_folder() {
        let dir = tempfile::tempdir().unwrap();
        let found = locate(None, None, dir.path()).unwrap();
        assert_eq!(
            (found.db, found.data_root, found.project),
            (
                PathBuf::from(DEFAULT_DB),
                PathBuf::from(DEFAULT_DATA_ROOT),
                None
            )
        );
    }

    #[test]
    fn a_bad_project_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(PROJECT_FILE);
        for (text, expected) in [
            ("db: a.db\nstore: b\n", "unknown field `store`"),
            ("db: ''\n", "db is empty"),
            ("db: [1\n", "cohortdb.yaml"),
        ] {
            std::fs::write(&file, text).unwrap();
            let err = locate(None, None, dir.path()).unwrap_err().to_string();
            assert!(
                err.contains(expected) && err.contains(PROJECT_FILE),
                "{err}"
            );
        }
        std::fs::write(&file, b"db: \xff\n").unwrap();
        let err = locate(None, None, dir.path()).unwrap_err().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
    }

    #[test]
    fn the_written_file_reads_back() {
        let settings = ProjectFile {
            db: "a b/c:\"d\".db".into(),
            data_root: "#data".into(),
        };
        let parsed: ProjectFile =
            serde_yaml::from_str(&settings.to_yaml(Path::new("cohortdb.yaml")).unwrap()).unwrap();
        assert_eq!(parsed, settings);
    }
}
