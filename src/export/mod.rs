//! `export`: the canonical files of a stored cohort (CLI.md `export`, D12, D13), written from
//! the record alone.
//!
//! Export never destroys: everything is checked before anything is written; generated files
//! that differ stop it unless forced; spec files and metadata files are never overwritten.
//! Every file is written to a temporary file in its folder and renamed into place, so a reader
//! (or an interrupted export) only ever sees complete files. `cohort.lock.json` is written
//! last: its presence says the export completed.

pub mod files;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::cohort::CohortId;
use crate::error::{Error, Result};
use crate::ids::Stage;
use crate::record::{self, Members, Record};
use crate::spec::Bundle;

pub use files::{
    LOCK_NAME, MANIFEST_NAME, MEMBERSHIP_NAME, lock_json, membership_csv, metadata_json,
    metadata_path, metadata_signature, write_atomic,
};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOutcome {
    /// It did not exist and was written.
    Written,
    /// It existed with the same bytes and was left alone.
    Unchanged,
    /// It differed and was replaced (`--force`).
    Replaced,
}

/// What an export did.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub notes: Vec<String>,
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

/// A stored cohort with everything export and verify need.
pub struct Stored {
    /// The record.
    pub record: Record,
    /// The spec bundle.
    pub bundle: Bundle,
    /// Template modes by (stage, template_id).
    pub modes: BTreeMap<(String, String), String>,
    /// The members (empty when loaded without them).
    pub members: Members,
}

impl Stored {
    /// Loads a stored cohort, or says it does not exist.
    pub fn load(conn: &Connection, id: &CohortId) -> Result<Stored> {
        Stored::load_with(conn, id, true)
    }

    /// Loads a stored cohort, with its members only when `with_members` (a store-only verify
    /// recomputes them and needs only the record).
    pub fn load_with(conn: &Connection, id: &CohortId, with_members: bool) -> Result<Stored> {
        let record = record::load(conn, id.as_str())?.ok_or_else(|| Error::Usage {
            message: format!("no cohort {:?} in the store", id.as_str()),
            detail: vec![
                "hint: `cohortdb cohorts` lists the stored cohorts; `cohortdb build` stores one"
                    .to_string(),
            ],
        })?;
        let bundle = record::load_bundle(conn, &record)?;
        let modes = record::load_modes(conn, record.cohort_no)?;
        let members = if with_members {
            record::load_members(conn, &record)?
        } else {
            Members::default()
        };
        Ok(Stored {
            record,
            bundle,
            modes,
            members,
        })
    }

    /// The mode metadata records for a member's template (semantics §3.6; `llm` by default).
    pub fn mode(&self, stage: Stage, template: &str) -> &str {
        self.modes
            .get(&(stage.as_str().to_string(), template.to_string()))
            .map_or("llm", String::as_str)
    }

    /// `membership.csv`, `manifest.json` and the stored spec files, by their path in the cohort
    /// folder, and the lock file over them.
    pub fn generated(&self) -> (Vec<u8>, String) {
        let membership = membership_csv(&self.members);
        let lock = lock_json(&self.record, &membership, &self.bundle);
        (membership, lock)
    }
}

/// Whether the spec files in `dir` have the stored bundle's canonical form: files missing on
/// disk count as the stored ones. Returns the paths whose bytes differ, and whether the canonical
/// form still matches.
pub fn compare_spec(dir: &Path, stored: &Stored) -> Result<(Vec<String>, bool)> {
    let mut merged = stored.bundle.files.clone();
    let mut differing = Vec::new();
    for (path, bytes) in &stored.bundle.files {
        let on_disk = dir.join(path);
        match crate::fsutil::read_regular(&on_disk) {
            Ok(found) if found == *bytes => {}
            Ok(found) => {
                differing.push(path.clone());
                merged.insert(path.clone(), found);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&on_disk, e)),
        }
    }
    if differing.is_empty() {
        return Ok((differing, true));
    }
    let bundle = Bundle {
        config: stored.bundle.config.clone(),
        files: merged,
    };
    let same = match crate::spec::load_bundle(&bundle, &dir.display().to_string()) {
        Ok(spec) => {
            crate::record::canonical::spec_hash(&spec, stored.record.seed).to_hex()
                == stored.record.spec_hash
        }
        Err(_) => false,
    };
    Ok((differing, same))
}

/// Checks every member's existing metadata.json: returns the ordinals of members without one,
/// and the number present with the member's signature. A file with another signature (or one
/// that cannot be read as metadata) is an error before anything is written (D1).
fn check_metadata(stored: &Stored, gens_root: &Path) -> Result<(Vec<u32>, u64)> {
    let mut missing = Vec::new();
    let mut present = 0u64;
    let mut conflicts = Vec::new();
    let mut conflict_count = 0usize;
    for (i, member) in stored.members.iter().enumerate() {
        let path = metadata_path(gens_root, member.stage, member.gen_id);
        match crate::fsutil::read_regular(&path) {
            Ok(bytes) => {
                let theirs = metadata_signature(member.stage, &bytes);
                if theirs.is_some() && theirs == member.signature() {
                    present += 1;
                } else {
                    conflict_count += 1;
                    if conflicts.len() < 5 {
                        conflicts.push(format!(
                            "{}: {}",
                            path.display(),
                            match theirs {
                                Some(sig) => format!(
                                    "signature {sig:?}, but the member's is {:?}",
                                    member.signature().unwrap_or_default()
                                ),
                                None =>
                                    "not readable as metadata (invalid JSON or fields)".to_string(),
                            }
                        ));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing.push(i as u32),
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    if conflict_count > 0 {
        conflicts.push(
            "hint: a gen_id names one generation; an existing metadata.json for another signature is never \
             overwritten (D1). Move it aside if it is stale, or export to another --gens-root"
                .to_string(),
        );
        return Err(Error::Refused {
            message: format!(
                "{conflict_count} existing metadata.json file{} under {} belong to other generations; nothing was written",
                if conflict_count == 1 { "" } else { "s" },
                gens_root.display()
            ),
            detail: conflicts,
        });
    }
    Ok((missing, present))
}

/// Exports cohort `id` from the store.
pub fn export(
    conn: &Connection,
    id: &CohortId,
    options: &ExportOptions,
    progress: &dyn ExportProgress,
) -> Result<ExportReport> {
    let stored = Stored::load(conn, id)?;
    let (membership, lock) = stored.generated();
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
    files::write_metadata(&stored, &options.gens_root, &missing, progress)?;
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
                report.notes.push(format!(
                    "{} differs from the stored spec only in formatting; left alone (D12)",
                    target.display()
                ));
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
