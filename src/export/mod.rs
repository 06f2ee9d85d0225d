//! `export`: the canonical files of a stored cohort (CLI.md `export`, D12, D13), written from
//! the record alone.
//!
//! Export never destroys: everything is checked before anything is written; generated files
//! that differ stop it unless forced; spec files and metadata files are never overwritten.
//! Every file goes through the one atomic writer (`layout::atomic`), so a reader (or an
//! interrupted export) only ever sees complete files. `cohort.lock.json` is written last: its
//! presence says the export completed.
//!
//! A thin command over `record` (the stored cohort) and `layout` (the file formats, the
//! metadata scan, the writer).

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{Error, IoContext, Result};
use crate::ids::{CohortId, Stage};
use crate::layout::{self, LOCK_NAME, MANIFEST_NAME, MEMBERSHIP_NAME, metadata_json, write_atomic};
use crate::record::{Stored, compare_spec};

/// Where and how to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The cohort folder (`<data-root>/cohorts/<id>` by default).
    pub out: PathBuf,
    /// The generations root (`<data-root>/gens` by default).
    pub gens_root: PathBuf,
    /// Replace `membership.csv`, `manifest.json` and `cohort.lock.json` when they differ.
    pub force: bool,
}

/// What happened to one generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileOutcome {
    /// It did not exist and was written.
    Written,
    /// It existed with the same bytes and was left alone.
    Unchanged,
    /// It differed and was replaced (`--force`).
    Replaced,
}

/// Something worth knowing about an export that did not stop it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExportNote {
    /// A spec file on disk differs from the stored one only in formatting; it was left alone.
    FormattingOnly {
        /// The spec file.
        path: PathBuf,
    },
}

impl std::fmt::Display for ExportNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportNote::FormattingOnly { path } => write!(
                f,
                "{} differs from the stored spec only in formatting; left alone (D12)",
                path.display()
            ),
        }
    }
}

/// What an export did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportReport {
    /// The cohort folder.
    pub out: PathBuf,
    /// The generations root.
    pub gens_root: PathBuf,
    /// `membership.csv`, `manifest.json`, `cohort.lock.json` and what happened to each.
    pub files: Vec<(String, FileOutcome)>,
    /// Spec files written.
    pub spec_written: u64,
    /// Spec files left alone (identical, or differing only in formatting).
    pub spec_unchanged: u64,
    /// metadata.json files written.
    pub metadata_written: u64,
    /// metadata.json files that already existed with the member's signature.
    pub metadata_present: u64,
    /// Notes for the user (formatting-only differences).
    pub notes: Vec<ExportNote>,
}

/// Receives export progress (metadata files written).
pub trait ExportProgress: Sync {
    /// `total` metadata files are about to be written.
    fn start(&self, total: u64);
    /// `n` more were written.
    fn advance(&self, n: u64);
}

/// An [`ExportProgress`] that shows nothing.
pub struct NoExportProgress;

impl ExportProgress for NoExportProgress {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// Checks every member's existing metadata.json: returns the ordinals of members without one,
/// and the number present with the member's signature. A file with another signature (or one
/// that cannot be read as metadata) is an error before anything is written (D1).
fn check_metadata(stored: &Stored, gens_root: &Path) -> Result<(Vec<u32>, u64)> {
    let scan = layout::metadata::scan(&stored.members, gens_root)?;
    if scan.conflicts.is_empty() {
        return Ok((scan.missing, scan.present));
    }
    let count = scan.conflicts.len();
    let mut detail: Vec<String> = scan
        .conflicts
        .iter()
        .take(5)
        .map(|c| {
            format!(
                "{}: {}",
                c.path.display(),
                match &c.found {
                    Some(sig) => format!(
                        "signature {sig:?}, but the member's is {:?}",
                        c.expected.as_deref().unwrap_or_default()
                    ),
                    None => "not readable as metadata (invalid JSON or fields)".to_string(),
                }
            )
        })
        .collect();
    detail.push(
        "hint: a gen_id names one generation; an existing metadata.json for another signature is never \
         overwritten (D1). Move it aside if it is stale, or export to another --gens-root"
            .to_string(),
    );
    Err(Error::Refused {
        message: format!(
            "{count} existing metadata.json file{} under {} belong to other generations; nothing was written",
            if count == 1 { "" } else { "s" },
            gens_root.display()
        ),
        detail,
    })
}

/// Exports cohort `id` from the store.
pub fn export(
    conn: &Connection,
    id: &CohortId,
    options: &ExportOptions,
    progress: &dyn ExportProgress,
) -> Result<ExportReport> {
    let stored = Stored::load(conn, id)?;
    let (membership, lock) = layout::generated(&stored);
    let generated: [(&str, &[u8]); 3] = [
        (MEMBERSHIP_NAME, &membership),
        (MANIFEST_NAME, stored.record.manifest.as_bytes()),
        (LOCK_NAME, lock.as_bytes()),
    ];

    // 1. Check everything before writing anything.
    let mut outcomes = Vec::new();
    let mut differing = Vec::new();
    for (name, bytes) in &generated {
        let path = options.out.join(name);
        match crate::fsutil::read_regular(&path) {
            Ok(found) if found == *bytes => {
                outcomes.push((name.to_string(), FileOutcome::Unchanged))
            }
            Ok(_) => {
                differing.push(path.display().to_string());
                outcomes.push((name.to_string(), FileOutcome::Replaced));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                outcomes.push((name.to_string(), FileOutcome::Written))
            }
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    if !differing.is_empty() && !options.force {
        let mut detail = differing;
        detail.push("hint: `cohortdb verify` shows what changed; `cohortdb export --force` replaces these files".to_string());
        return Err(Error::Refused {
            message: format!(
                "cohort {:?}: exported files in {} differ from the stored record; nothing was written",
                id.as_str(),
                options.out.display()
            ),
            detail,
        });
    }
    let spec_dir = options.out.join("spec");
    let (spec_differing, spec_same) = compare_spec(&spec_dir, &stored)?;
    if !spec_same {
        return Err(Error::Refused {
            message: format!(
                "cohort {:?}: the spec in {} was changed after the build ({}); nothing was written",
                id.as_str(),
                spec_dir.display(),
                spec_differing.join(", ")
            ),
            detail: vec![format!(
                "hint: a cohort record never changes (D14); build the changed spec under a new cohort id, e.g. \
                 `cohortdb build {}-v2 --spec {}`",
                id.as_str(),
                spec_dir.display()
            )],
        });
    }
    let (missing, present) = check_metadata(&stored, &options.gens_root)?;

    // 2. Write: metadata, spec files, generated files, and the lock last.
    progress.start(missing.len() as u64);
    write_metadata(&stored, &options.gens_root, &missing, progress)?;
    let mut report = ExportReport {
        out: options.out.clone(),
        gens_root: options.gens_root.clone(),
        files: Vec::new(),
        spec_written: 0,
        spec_unchanged: 0,
        metadata_written: missing.len() as u64,
        metadata_present: present,
        notes: Vec::new(),
    };
    for (path, bytes) in &stored.bundle.files {
        let target = spec_dir.join(path);
        if target.exists() {
            report.spec_unchanged += 1;
            if spec_differing.contains(path) {
                report
                    .notes
                    .push(ExportNote::FormattingOnly { path: target });
            }
        } else {
            write_atomic(&target, bytes)?;
            report.spec_written += 1;
        }
    }
    for ((name, bytes), (_, outcome)) in generated.iter().zip(&outcomes) {
        if *outcome != FileOutcome::Unchanged {
            write_atomic(&options.out.join(name), bytes)?;
        }
    }
    report.files = outcomes;
    Ok(report)
}

/// Writes the metadata.json of every member in `ordinals` (which have none yet), on two threads:
/// creating a million small files is bound by system calls, which run in parallel.
fn write_metadata(
    stored: &Stored,
    gens_root: &Path,
    ordinals: &[u32],
    progress: &dyn ExportProgress,
) -> Result<()> {
    if ordinals.is_empty() {
        return Ok(());
    }
    for stage in Stage::ALL {
        let dir = gens_root.join(stage.as_str());
        std::fs::create_dir_all(&dir).at(&dir)?;
    }
    let cohort_id = stored.record.cohort_id.as_str();
    let write_one = |ordinal: u32| -> Result<()> {
        let member = stored.members.get(ordinal as usize);
        let dir = gens_root.join(member.stage.as_str()).join(member.gen_id);
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io(&dir, e)),
        }
        let json = metadata_json(
            cohort_id,
            &member,
            stored.mode(member.stage, member.template_id),
        );
        let target = dir.join("metadata.json");
        if layout::write_new(&target, json.as_bytes())? {
            return Ok(());
        }
        // Written meanwhile (another export of this cohort): fine when it is the same file;
        // metadata is never replaced (D1).
        if crate::fsutil::read_regular(&target).at(&target)? == json.as_bytes() {
            return Ok(());
        }
        Err(Error::refused(
            format!(
                "{}: another metadata.json appeared during the export; it was left alone",
                target.display()
            ),
            vec![],
        ))
    };
    let half = ordinals.len().div_ceil(2);
    std::thread::scope(|scope| {
        let workers: Vec<_> = ordinals
            .chunks(half.max(1))
            .map(|chunk| {
                scope.spawn(|| -> Result<()> {
                    for (i, ordinal) in chunk.iter().enumerate() {
                        write_one(*ordinal)?;
                        if i % 1024 == 1023 {
                            progress.advance(1024);
                        }
                    }
                    progress.advance((chunk.len() % 1024) as u64);
                    Ok(())
                })
            })
            .collect();
        let mut result = Ok(());
        for worker in workers {
            let outcome = worker
                .join()
                .unwrap_or_else(|_| Err(Error::usage("a metadata writer thread panicked")));
            if result.is_ok() {
                result = outcome;
            }
        }
        result
    })
}
