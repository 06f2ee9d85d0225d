//! `cohortdb catalog strip-active` (D9, D17): rewrites the legacy catalogs without their
//! selection flags, keeping every other byte, after reporting what the flags selected.
//!
//! All files are read and checked before any is written. Each original is first copied to
//! `<name>.legacy.csv` (unless `no_backup`), then replaced atomically (temporary file + rename).

use std::path::{Path, PathBuf};

use super::flags::{FLAGGED_KINDS, FlagColumn, read_kind};
use crate::catalog::CatalogKind;
use crate::error::{Error, MigrateError, Result};
use crate::layout::write_atomic;

/// What one flag column selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The flag.
    pub flag: String,
    /// The ids it selected, in row order.
    pub selected: Vec<String>,
    /// Rows in the file.
    pub rows: usize,
}

/// One rewritten catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// The catalog.
    pub kind: CatalogKind,
    /// The file.
    pub path: PathBuf,
    /// What each removed flag selected.
    pub selections: Vec<Selection>,
    /// Where the original was kept, if it was.
    pub backup: Option<PathBuf>,
}

/// The backup name of a catalog: `draft_templates.csv` → `draft_templates.legacy.csv`.
pub fn backup_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.legacy.csv"))
}

/// Rewrites every flagged catalog of the layout under `data_root`. Files without flags are
/// left alone (and not reported).
pub fn strip_active(data_root: &Path, backup: bool) -> Result<Vec<Stripped>> {
    let mut plans = Vec::new();
    for (kind, _) in FLAGGED_KINDS {
        let Some(catalog) = read_kind(data_root, kind)? else {
            continue;
        };
        if catalog.flags.is_empty() {
            continue;
        }
        let backup_to = backup.then(|| backup_path(&catalog.path));
        if let Some(b) = &backup_to {
            match crate::fsutil::read_regular(b) {
                Ok(existing)
                    if existing
                        != crate::fsutil::read_regular(&catalog.path)
                            .map_err(|e| Error::io(&catalog.path, e))? =>
                {
                    return Err(MigrateError::BackupDiffers {
                        path: b.display().to_string(),
                    }
                    .into());
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(b, e)),
            }
        }
        plans.push((kind, catalog, backup_to));
    }
    let mut report = Vec::new();
    for (kind, catalog, backup_to) in plans {
        if let Some(b) = &backup_to {
            let original = crate::fsutil::read_regular(&catalog.path)
                .map_err(|e| Error::io(&catalog.path, e))?;
            write_atomic(b, &original)?;
        }
        write_atomic(&catalog.path, &catalog.stripped)?;
        let selections = catalog
            .flags
            .iter()
            .map(|FlagColumn { name, values }| Selection {
                flag: name.clone(),
                selected: catalog
                    .ids
                    .iter()
                    .zip(values)
                    .filter(|(_, on)| **on)
                    .map(|(id, _)| id.clone())
                    .collect(),
                rows: values.len(),
            })
            .collect();
        report.push(Stripped {
            kind,
            path: catalog.path,
            selections,
            backup: backup_to,
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_sit_next_to_the_catalog() {
        assert_eq!(
            backup_path(Path::new("data/1_raw/llm_models.csv")),
            Path::new("data/1_raw/llm_models.legacy.csv")
        );
    }

    #[test]
    fn flags_are_reported_stripped_and_backed_up() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let raw = dir.path().join("1_raw");
        std::fs::create_dir_all(&raw).expect("mkdir");
        let original = "template_id,template_name,description,parser,generator,active\r\nt1,T1,,,llm,True\r\nt2,T2,,,llm,False\r\n";
        std::fs::write(raw.join("draft_templates.csv"), original).expect("write");
        std::fs::write(
            raw.join("essay_templates.csv"),
            "template_id,generator\ne,llm\n",
        )
        .expect("write");
        let report = strip_active(dir.path(), true).expect("strips");
        assert_eq!(report.len(), 1, "only the flagged file is rewritten");
        assert_eq!(report[0].selections[0].selected, ["t1"]);
        assert_eq!(report[0].selections[0].rows, 2);
        assert_eq!(
            std::fs::read_to_string(raw.join("draft_templates.csv")).expect("read"),
            "template_id,template_name,description,parser,generator\r\nt1,T1,,,llm\r\nt2,T2,,,llm\r\n"
        );
        assert_eq!(
            std::fs::read_to_string(raw.join("draft_templates.legacy.csv")).expect("read"),
            original
        );
        let again = strip_active(dir.path(), true).expect("nothing left to strip");
        assert!(again.is_empty());
    }

    #[test]
    fn a_conflicting_backup_stops_everything_before_any_write() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let raw = dir.path().join("1_raw");
        std::fs::create_dir_all(&raw).expect("mkdir");
        let original = "template_id,active\nt1,True\n";
        std::fs::write(raw.join("draft_templates.csv"), original).expect("write");
        std::fs::write(raw.join("draft_templates.legacy.csv"), "other").expect("write");
        let err = strip_active(dir.path(), true).expect_err("refused");
        assert!(
            err.to_string().contains("refusing to overwrite a backup"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(raw.join("draft_templates.csv")).expect("read"),
            original
        );
        let report = strip_active(dir.path(), false).expect("no backup wanted");
        assert_eq!(report[0].backup, None);
    }
}
