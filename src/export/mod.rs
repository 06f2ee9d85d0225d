//! `export`: the canonical files of a stored cohort (docs/cli.md `export`, D12, D13), written from
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

use crate::error::{Access, Error, ExportError, IoContext, MetaError, MetadataClash, Result};
use crate::ids::{CohortId, Stage};
use crate::layout::{
    self, LOCK_NAME, MANIFEST_NAME, MEMBERSHIP_NAME, Root, check_below, check_writable_root,
    compare_spec, metadata_json, metadata_rel, write_atomic,
};
use crate::record::Stored;

/// Where and how to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The cohort folder (`<data-root>/cohorts/<id>` by default).
    pub out: PathBuf,
    /// The generations root (`<data-root>/gens` by default).
    pub gens_root: PathBuf,
    /// Replace `membership.csv`, `manifest.json` and `cohort.lock.json` when they differ.
    pub force: bool,
    /// Rewrite a member's `metadata.json` that is not valid JSON from the record (a valid file
    /// that disagrees is still refused, D13).
    pub repair: bool,
}

/// A `metadata.json` that `--repair` rewrote from the record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Repair {
    /// The file.
    pub path: PathBuf,
    /// Why it was unreadable.
    pub reason: String,
    /// What it held (the first 200 bytes, lossily decoded).
    pub replaced: String,
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
                "{} differs from the stored spec only in formatting; left alone ({})",
                path.display(),
                crate::textfmt::decision(12)
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
    /// metadata.json files rewritten by `--repair`.
    pub repaired: Vec<Repair>,
}

/// Receives export progress (metadata files written).
pub trait ExportProgress: Sync {
    /// `total` metadata files are about to be written.
    fn start(&self, total: u64);
    /// `n` more were written.
    fn advance(&self, n: u64);
    /// True when the caller asked to stop: the export stops before its next file (files
    /// already written are complete; running it again completes it).
    fn cancelled(&self) -> bool {
        false
    }
}

/// An [`ExportProgress`] that shows nothing.
pub struct NoExportProgress;

impl ExportProgress for NoExportProgress {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// What the metadata check found: members without a file (their folders checked: no link),
/// how many have a file with their signature, and the invalid-JSON files `--repair` rewrites.
struct MetadataPlan {
    missing: Vec<u32>,
    present: u64,
    repairs: Vec<(u32, Repair)>,
}

/// Checks every member's existing metadata.json: members without one, and the number present
/// with the member's signature. A file with another signature (or one that cannot be read as
/// metadata) is an error before anything is written (D1) — except, with `repair`, a file that
/// is not valid JSON at all, which is planned for rewriting. Every file is read through the
/// path policy (`layout::Root`): a link on the way to it, or at it, is refused, so a member
/// reported without a file has no link on its way either.
fn check_metadata(stored: &Stored, gens_root: &Path, repair: bool) -> Result<MetadataPlan> {
    for stage in Stage::ALL {
        check_below(gens_root, Path::new(stage.as_str()), false)?;
    }
    let scan = layout::metadata::scan(&stored.members, gens_root, Access::Write)?;
    let mut repairs = Vec::new();
    let mut conflicts = Vec::new();
    for c in scan.conflicts {
        match &c.found {
            Err(why @ (MetaError::Json(_) | MetaError::ByteOrderMark)) if repair => {
                let member = stored.members.get(c.ordinal as usize);
                let root = Root::open(gens_root, Access::Write)?;
                let bytes = match &root {
                    Some(root) => root.read(&metadata_rel(member.stage, member.gen_id))?,
                    None => None,
                }
                .unwrap_or_default();
                let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_string();
                repairs.push((
                    c.ordinal,
                    Repair {
                        path: c.path,
                        reason: why.to_string(),
                        replaced: shown,
                    },
                ));
            }
            _ => conflicts.push(c),
        }
    }
    if conflicts.is_empty() {
        return Ok(MetadataPlan {
            missing: scan.missing,
            present: scan.present,
            repairs,
        });
    }
    let other_generation = conflicts.iter().filter(|c| c.found.is_ok()).count();
    let not_json = conflicts
        .iter()
        .filter(|c| matches!(c.found, Err(MetaError::Json(_) | MetaError::ByteOrderMark)))
        .count();
    Err(ExportError::MetadataConflicts {
        count: conflicts.len(),
        gens_root: gens_root.display().to_string(),
        other_generation,
        not_json,
        shown: conflicts
            .into_iter()
            .take(5)
            .map(|c| MetadataClash {
                path: c.path.display().to_string(),
                found: c.found,
                expected: c.expected,
            })
            .collect(),
    }
    .into())
}

/// Refuses a store whose rows for the record are not the ones its hash covers (an inserted or
/// changed member, value, manifest, count or mode; a gen_id or spec path outside its grammar):
/// export writes nothing verify would reject. The same streaming hash as `verify`.
fn check_stored_rows(conn: &Connection, stored: &Stored) -> Result<()> {
    let expected = stored.expected_modes(conn)?;
    let diffs = stored.check_rows(&expected);
    if diffs.is_empty() {
        return Ok(());
    }
    Err(ExportError::RowsDiffer {
        cohort: stored.record.cohort_id.clone(),
        diffs: diffs.iter().map(ToString::to_string).collect(),
    }
    .into())
}

/// What writing each generated file (membership, manifest, lock) would do; refuses, unless
/// `--force`, when one exists with other bytes. Existing files are read through the path
/// policy (`layout::Root`).
fn check_generated(
    id: &CohortId,
    options: &ExportOptions,
    generated: &[(&str, &[u8])],
) -> Result<Vec<(String, FileOutcome)>> {
    let mut outcomes = Vec::new();
    let mut differing = Vec::new();
    let root = Root::open(&options.out, Access::Write)?;
    for (name, bytes) in generated {
        let found = match &root {
            Some(root) => root.read(Path::new(name))?,
            None => None,
        };
        match found {
            Some(found) if found == *bytes => {
                outcomes.push((name.to_string(), FileOutcome::Unchanged))
            }
            Some(_) => {
                differing.push(options.out.join(name).display().to_string());
                outcomes.push((name.to_string(), FileOutcome::Replaced));
            }
            None => outcomes.push((name.to_string(), FileOutcome::Written)),
        }
    }
    if !differing.is_empty() && !options.force {
        return Err(ExportError::FilesDiffer {
            cohort: id.as_str().to_string(),
            out: options.out.display().to_string(),
            files: differing,
        }
        .into());
    }
    Ok(outcomes)
}

/// Exports cohort `id` from the store.
pub fn export(
    conn: &Connection,
    id: &CohortId,
    options: &ExportOptions,
    progress: &dyn ExportProgress,
) -> Result<ExportReport> {
    let stored = Stored::load(conn, id)?;
    check_stored_rows(conn, &stored)?;
    check_writable_root(&options.out, "--out")?;
    check_writable_root(&options.gens_root, "--gens-root")?;
    if options.gens_root.is_dir() {
        // An unreadable gens root is found now, not after the first file.
        std::fs::read_dir(&options.gens_root).at(&options.gens_root)?;
    }
    let (membership, lock) = layout::generated(&stored);
    let generated: [(&str, &[u8]); 3] = [
        (MEMBERSHIP_NAME, &membership),
        (MANIFEST_NAME, stored.record.manifest.as_bytes()),
        (LOCK_NAME, lock.as_bytes()),
    ];

    // 1. Check everything before writing anything.
    let outcomes = check_generated(id, options, &generated)?;
    let spec_dir = options.out.join("spec");
    for path in stored.bundle.files.keys() {
        check_below(&options.out, &Path::new("spec").join(path), true)?;
    }
    let spec = compare_spec(&options.out, &stored, Access::Write)?;
    if !spec.same {
        return Err(ExportError::SpecChanged {
            cohort: id.as_str().to_string(),
            spec_dir: spec_dir.display().to_string(),
            files: spec.differing,
        }
        .into());
    }
    // The metadata check and the metadata writes run under an exclusive lock on the gens root,
    // so overlapping exports into one gens root run there one after the other (each sees the
    // files the other wrote). Creating the gens root is the only write before the check, and
    // only when it did not exist (then it holds no conflicting file).
    layout::create_below(&options.gens_root, Path::new(""))?;
    let gens_lock = layout::DirLock::exclusive(&options.gens_root)?;
    let plan = check_metadata(&stored, &options.gens_root, options.repair)?;
    let (missing, present) = (plan.missing, plan.present);

    // 2. Write: metadata, spec files, generated files, and the lock last.
    progress.start(missing.len() as u64);
    write_metadata(&stored, &options.gens_root, &missing, progress)?;
    if progress.cancelled() {
        return Err(Error::Interrupted);
    }
    let mut repaired = Vec::new();
    for (ordinal, repair) in plan.repairs {
        let member = stored.members.get(ordinal as usize);
        let json = metadata_json(
            &stored.record.cohort_id,
            &member,
            stored.mode(member.stage, member.template_id),
        );
        write_atomic(&repair.path, json.as_bytes())?;
        repaired.push(repair);
    }
    drop(gens_lock);
    let mut report = ExportReport {
        out: options.out.clone(),
        gens_root: options.gens_root.clone(),
        files: Vec::new(),
        spec_written: 0,
        spec_unchanged: 0,
        metadata_written: missing.len() as u64,
        metadata_present: present,
        notes: Vec::new(),
        repaired,
    };
    for (path, bytes) in &stored.bundle.files {
        let target = spec_dir.join(path);
        if !spec.missing.contains(path) {
            report.spec_unchanged += 1;
            if spec.differing.contains(path) {
                report
                    .notes
                    .push(ExportNote::FormattingOnly { path: target });
            }
        } else {
            let rel = Path::new("spec").join(path);
            layout::create_below(&options.out, rel.parent().unwrap_or(Path::new("")))?;
            write_atomic(&target, bytes)?;
            report.spec_written += 1;
        }
    }
    for ((name, bytes), (_, outcome)) in generated.iter().zip(&outcomes) {
        if *outcome != FileOutcome::Unchanged {
            layout::create_below(&options.out, Path::new(""))?;
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
        layout::create_below(gens_root, Path::new(stage.as_str()))?;
    }
    let cohort_id = stored.record.cohort_id.as_str();
    let write_one = |ordinal: u32| -> Result<()> {
        let member = stored.members.get(ordinal as usize);
        let dir = gens_root.join(member.stage.as_str()).join(member.gen_id);
        // A real folder, or refused: never written through a link (checked before writing,
        // and again here since the folder may have appeared meanwhile).
        layout::create_one(gens_root, &dir)?;
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
        // metadata is never replaced (D1), and never read through a link.
        let found = match Root::open(gens_root, Access::Write)? {
            Some(root) => root.read(&metadata_rel(member.stage, member.gen_id))?,
            None => None,
        };
        if found.as_deref() == Some(json.as_bytes()) {
            return Ok(());
        }
        Err(ExportError::MetadataAppeared {
            path: target.display().to_string(),
        }
        .into())
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
                            if progress.cancelled() {
                                return Err(Error::Interrupted);
                            }
                        }
                    }
                    progress.advance((chunk.len() % 1024) as u64);
                    Ok(())
                })
            })
            .collect();
        let mut result = Ok(());
        for worker in workers {
            let outcome = worker.join().unwrap_or_else(|_| {
                Err(Error::internal(
                    "a metadata writer thread does not panic",
                    "one did",
                ))
            });
            if result.is_ok() {
                result = outcome;
            }
        }
        result
    })
}
