//! What `verify` reports: its findings, each with a severity and one sentence, and the report
//! for one cohort. Data only; the checks that make them are in the parent module.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::record::RowDiff;

/// How a finding counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something that matches.
    Ok,
    /// Something worth knowing that is not a difference.
    Note,
    /// A difference: verify exits 1.
    Difference,
}

/// Members added and dropped in one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StageChange {
    /// The stage.
    pub stage: &'static str,
    /// gen_ids the recomputation adds.
    pub added: u64,
    /// gen_ids it drops.
    pub dropped: u64,
}

/// How `membership.csv` on disk differs from the record's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MembershipChange {
    /// Rows were added or removed (at least one of the two).
    Rows {
        /// Rows on disk the record lacks.
        added: usize,
        /// The first few of them.
        added_sample: Vec<String>,
        /// Rows of the record missing on disk.
        removed: usize,
        /// The first few of them.
        removed_sample: Vec<String>,
    },
    /// The same rows in another order.
    Reordered,
    /// The same distinct rows, but some repeated or with other line ends.
    RepeatedOrLineEnds,
}

/// One line of a verify report: one variant per kind of check and outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The content hash reproduces from the stored spec and the catalogs.
    StoreReproduces {
        /// The content hash.
        content_hash: String,
        /// The import batch the catalogs were read as of.
        last_batch: i64,
    },
    /// Recomputing failed: the error and its detail lines.
    StoreNotRecomputable {
        /// The error.
        error: String,
        /// Its detail lines.
        detail: Vec<String>,
    },
    /// The recomputed content hash differs.
    ContentHashDiffers {
        /// The stored hash.
        expected: String,
        /// The recomputed hash.
        actual: String,
    },
    /// The stored spec's canonical form changed.
    SpecChanged,
    /// The members differ (per stage; empty: same gen_ids, other order or values).
    MembersDiffer {
        /// Stages with added or dropped gen_ids.
        changes: Vec<StageChange>,
    },
    /// The manifest differs.
    ManifestDiffers,
    /// The referenced catalog rows differ from build time.
    CatalogDiffers,
    /// Every stored row of the record (members, values, manifest, counts, template modes)
    /// re-hashes to the record's digests.
    StoredRowsMatch {
        /// How many members were re-hashed.
        members: u64,
    },
    /// A stored row is not part of the canonical record.
    StoredRowsDiffer {
        /// What differs.
        diff: RowDiff,
    },
    /// The export folder has no lock file: only the store was checked.
    NotExported {
        /// The export folder.
        dir: PathBuf,
    },
    /// An exported file matches the record.
    FileMatches {
        /// The file.
        file: PathBuf,
    },
    /// An expected file is missing.
    FileMissing {
        /// The file.
        file: PathBuf,
    },
    /// The export folder exists but has no lock file: never exported there, or the export did
    /// not finish (the lock is written last).
    LockMissing {
        /// The lock file.
        file: PathBuf,
    },
    /// The lock file differs from the record's.
    LockDiffers {
        /// The lock file.
        file: PathBuf,
    },
    /// A generated file differs from the record's bytes.
    FileDiffers {
        /// The file.
        file: PathBuf,
        /// BLAKE3 of the record's bytes.
        expected: String,
        /// BLAKE3 of the bytes on disk.
        actual: String,
    },
    /// `membership.csv` differs from the record's.
    MembershipDiffers {
        /// The file.
        file: PathBuf,
        /// How.
        change: MembershipChange,
    },
    /// A spec file is identical to the stored one.
    SpecIdentical {
        /// The file.
        file: PathBuf,
    },
    /// A spec file differs only in formatting (same canonical spec, D12).
    SpecFormattingOnly {
        /// The file.
        file: PathBuf,
    },
    /// A spec file differs from the stored one.
    SpecDiffers {
        /// The file.
        file: PathBuf,
    },
    /// Members without a metadata.json.
    MetadataMissing {
        /// How many.
        count: usize,
        /// The first few files.
        sample: Vec<PathBuf>,
    },
    /// metadata.json files describing another generation than their member's.
    MetadataForeign {
        /// How many.
        count: usize,
        /// The first few files.
        sample: Vec<PathBuf>,
    },
    /// metadata.json files whose fields differ from the record's, or that are unreadable.
    MetadataDiffers {
        /// How many.
        count: usize,
        /// The first few: the file and what differs.
        sample: Vec<(PathBuf, String)>,
    },
    /// Every member's metadata.json has every field the record determines.
    MetadataMatches {
        /// How many.
        count: u64,
        /// How many of them name an earlier cohort that holds the gen_id as their origin.
        other_origin: u64,
        /// How many of them are files of legacy generations as `migrate` recorded them (their
        /// origin, or their exact bytes; D24).
        legacy: u64,
        /// The generations root.
        gens_root: PathBuf,
    },
}

impl Finding {
    /// Whether it matches, is a note, or is a difference.
    pub fn severity(&self) -> Severity {
        match self {
            Finding::StoreReproduces { .. }
            | Finding::FileMatches { .. }
            | Finding::SpecIdentical { .. }
            | Finding::StoredRowsMatch { .. }
            | Finding::MetadataMatches { .. } => Severity::Ok,
            Finding::SpecFormattingOnly { .. } => Severity::Note,
            _ => Severity::Difference,
        }
    }

    /// Further lines shown under the finding (the detail of an error).
    pub fn detail(&self) -> &[String] {
        match self {
            Finding::StoreNotRecomputable { detail, .. } => detail,
            _ => &[],
        }
    }
}

/// Up to three paths, then how many more.
fn sample_list(sample: &[PathBuf], count: usize) -> String {
    let mut shown = sample
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if count > sample.len() {
        shown.push_str(&format!(", and {} more", count - sample.len()));
    }
    shown
}

/// The members that would be added and dropped per stage, or what else differs.
fn stage_changes(changes: &[StageChange]) -> String {
    if changes.is_empty() {
        return "the same gen_ids, but their order or values differ".to_string();
    }
    let parts: Vec<String> = changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} would be added, {} dropped",
                c.stage, c.added, c.dropped
            )
        })
        .collect();
    parts.join("; ")
}

impl fmt::Display for MembershipChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MembershipChange::Rows {
                added,
                added_sample,
                removed,
                removed_sample,
            } => {
                let mut what = Vec::new();
                if *added > 0 {
                    what.push(format!(
                        "{} not in the record ({})",
                        crate::textfmt::count(*added as u64, "row"),
                        added_sample.join("; ")
                    ));
                }
                if *removed > 0 {
                    what.push(format!(
                        "{} of the record missing ({})",
                        crate::textfmt::count(*removed as u64, "row"),
                        removed_sample.join("; ")
                    ));
                }
                f.write_str(&what.join("; "))
            }
            MembershipChange::Reordered => f.write_str("the same rows in another order"),
            MembershipChange::RepeatedOrLineEnds => {
                f.write_str("rows repeated or line endings changed")
            }
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::StoreReproduces {
                content_hash,
                last_batch,
            } => write!(
                f,
                "store: content hash {content_hash} reproduces from the stored spec and the catalogs as of import batch {last_batch}"
            ),
            Finding::StoreNotRecomputable { error, .. } => write!(
                f,
                "store: the cohort no longer recomputes from its stored spec: {error}"
            ),
            Finding::ContentHashDiffers { expected, actual } => write!(
                f,
                "store: the recomputed content hash {actual} differs from the stored {expected}"
            ),
            Finding::SpecChanged => f.write_str("store: the stored spec's canonical form changed"),
            Finding::MembersDiffer { changes } => {
                write!(f, "store: members differ ({})", stage_changes(changes))
            }
            Finding::ManifestDiffers => f.write_str("store: the manifest differs"),
            Finding::CatalogDiffers => f.write_str(
                "store: catalog rows the cohort references differ from what they were at build time (changed behind \
                 the store's back?)",
            ),
            Finding::StoredRowsMatch { members } => write!(
                f,
                "store: the stored rows ({}, their values, the manifest, counts and template modes) re-hash to the record",
                crate::textfmt::count(*members, "member")
            ),
            Finding::StoredRowsDiffer { diff } => write!(f, "store: {diff}"),
            Finding::NotExported { dir } => write!(
                f,
                "export: not exported ({} does not exist); `cohortdb export` writes it, `verify --store-only` checks only the store",
                dir.display()
            ),
            Finding::FileMatches { file } => write!(f, "{}: matches the record", file.display()),
            Finding::FileMissing { file } => write!(f, "{}: missing", file.display()),
            Finding::LockMissing { file } => write!(
                f,
                "{}: missing — not exported, or the export did not finish (`cohortdb export` completes it)",
                file.display()
            ),
            Finding::LockDiffers { file } => {
                write!(f, "{}: differs from the record's lock file", file.display())
            }
            Finding::FileDiffers {
                file,
                expected,
                actual,
            } => write!(
                f,
                "{}: differs from the record (BLAKE3 {actual}, expected {expected})",
                file.display()
            ),
            Finding::MembershipDiffers { file, change } => {
                write!(f, "{}: differs from the record: {change}", file.display())
            }
            Finding::SpecIdentical { file } => {
                write!(f, "{}: identical to the stored spec", file.display())
            }
            Finding::SpecFormattingOnly { file } => write!(
                f,
                "{}: differs only in formatting (same canonical spec, {})",
                file.display(),
                crate::textfmt::decision(12)
            ),
            Finding::SpecDiffers { file } => {
                write!(f, "{}: differs from the stored spec", file.display())
            }
            Finding::MetadataMissing { count, sample } => write!(
                f,
                "metadata: {} no metadata.json: {}",
                match count {
                    1 => "1 member has".to_string(),
                    n => format!("{n} members have"),
                },
                sample_list(sample, *count)
            ),
            Finding::MetadataForeign { count, sample } => write!(
                f,
                "metadata: {count} metadata.json file(s) describe another generation than the member's: {}",
                sample_list(sample, *count)
            ),
            Finding::MetadataDiffers { count, sample } => {
                write!(f, "metadata: {count} metadata.json file(s) differ from the record: ")?;
                let shown: Vec<String> = sample
                    .iter()
                    .map(|(p, what)| format!("{}: {what}", p.display()))
                    .collect();
                f.write_str(&shown.join("; "))?;
                if *count > sample.len() {
                    write!(f, "; and {} more", count - sample.len())?;
                }
                Ok(())
            }
            Finding::MetadataMatches {
                count,
                other_origin,
                legacy,
                gens_root,
            } => {
                write!(
                    f,
                    "metadata: all {count} metadata.json files under {} have every field of the record",
                    gens_root.display()
                )?;
                if *legacy > 0 {
                    write!(f, " or are kept from legacy generations")?;
                }
                if *other_origin > 0 {
                    write!(
                        f,
                        " ({other_origin} name an earlier cohort that holds the gen_id as origin)"
                    )?;
                }
                if *legacy > 0 {
                    write!(
                        f,
                        " ({legacy} kept as recorded when the cohort was migrated, {})",
                        crate::textfmt::decision(24)
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// What verify found for one cohort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The cohort.
    pub cohort_id: String,
    /// The findings, in the order checked.
    pub findings: Vec<Finding>,
}

impl VerifyReport {
    /// True when nothing differs.
    pub fn matches(&self) -> bool {
        !self
            .findings
            .iter()
            .any(|f| f.severity() == Severity::Difference)
    }
}
