//! `verify`: proves a stored cohort still reproduces from its stored spec and the catalogs as
//! of its build (D12), and that its exported files are untouched. Returns a report; never
//! prints.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::Serialize;

use crate::cohort::{self, BuildOptions, members};
use crate::error::{Access, DbContext, Error, Result, UsageError};
use crate::ids::{CohortId, Stage};
use crate::layout::{
    self, FieldCheck, LOCK_NAME, MANIFEST_NAME, MEMBERSHIP_NAME, Root, compare_fields,
    compare_spec, metadata_json, metadata_path, metadata_rel,
};
use crate::record::{self, RowDiff, Stored, is_plain_relative};

/// What to check besides the store.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The export folder (`<data-root>/cohorts/<id>` by default).
    pub dir: PathBuf,
    /// The generations root (`<data-root>/gens` by default).
    pub gens_root: PathBuf,
    /// Check only the store, not the export folder.
    pub store_only: bool,
    /// The user named `dir`: it must exist (a mistyped path is an error, not "not exported").
    pub dir_named: bool,
    /// The user named `gens_root`: it must exist.
    pub gens_root_named: bool,
}

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

/// Verifies cohort `id`.
pub fn verify(conn: &Connection, id: &CohortId, options: &VerifyOptions) -> Result<VerifyReport> {
    if !options.store_only {
        for (named, path, flag) in [
            (options.dir_named, &options.dir, "--dir"),
            (options.gens_root_named, &options.gens_root, "--gens-root"),
        ] {
            if named && !path.is_dir() {
                return Err(UsageError::NoSuchFolder {
                    flag,
                    path: path.display().to_string(),
                }
                .into());
            }
        }
    }
    let stored = Stored::load(conn, id)?;
    let mut findings = Vec::new();
    check_store(conn, id, &stored, &mut findings)?;
    check_rows(conn, &stored, &mut findings)?;
    if !options.store_only {
        check_export(conn, &stored, options, &mut findings)?;
    }
    Ok(VerifyReport {
        cohort_id: id.to_string(),
        findings,
    })
}

/// Recomputes the cohort from its stored bundle against the catalogs as of its last import
/// batch, in scratch tables, and compares the digests.
fn check_store(
    conn: &Connection,
    id: &CohortId,
    stored: &Stored,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let record = &stored.record;
    let tx = conn.unchecked_transaction().db("begin verify")?;
    let label = format!("stored spec of {}", id.as_str());
    let options = BuildOptions {
        seed: record.seed.clone(),
        last_batch: record.last_batch,
        cohort_no: record.cohort_no,
        collect_registry: false,
        force_columns: false,
    };
    let outcome = crate::spec::load_bundle(&stored.bundle, &label).and_then(|spec| {
        let plan = crate::spec::resolve(&spec)?;
        cohort::compute(&tx, id.as_str(), &spec, &plan, &options)
    });
    let computed = match outcome {
        Ok(c) => c,
        // A store that cannot be read is an error, not a difference (docs/reliability.md).
        Err(e @ (Error::Db { .. } | Error::BadStore { .. })) => return Err(e),
        Err(e) => {
            findings.push(Finding::StoreNotRecomputable {
                error: e.to_string(),
                detail: e.detail().to_vec(),
            });
            return Ok(());
        }
    };
    let diff = computed.hashes.compare(record);
    if !diff.content {
        findings.push(Finding::StoreReproduces {
            content_hash: record.content_hash.clone(),
            last_batch: record.last_batch,
        });
        return Ok(());
    }
    findings.push(Finding::ContentHashDiffers {
        expected: record.content_hash.clone(),
        actual: computed.hashes.content.to_hex(),
    });
    if diff.spec {
        findings.push(Finding::SpecChanged);
    }
    if diff.members {
        let changes = Stage::ALL
            .into_iter()
            .zip(members::member_diff(&tx, record.cohort_no)?)
            .filter(|(_, (a, r))| *a > 0 || *r > 0)
            .map(|(stage, (added, dropped))| StageChange {
                stage: stage.as_str(),
                added,
                dropped,
            })
            .collect();
        findings.push(Finding::MembersDiffer { changes });
    }
    if diff.manifest {
        findings.push(Finding::ManifestDiffers);
    }
    if diff.catalog {
        findings.push(Finding::CatalogDiffers);
    }
    Ok(())
}

/// Re-hashes the stored rows of the record (members with their values, manifest, counts,
/// template modes) and compares them with its digests: the recomputation above proves the
/// record's hash, this proves the rows export writes and `query` shows are the ones it covers.
fn check_rows(conn: &Connection, stored: &Stored, findings: &mut Vec<Finding>) -> Result<()> {
    let expected = stored.expected_modes(conn)?;
    let mut diffs = stored.check_rows(&expected);
    diffs.extend(record::check_reuse(conn, stored.record.cohort_no)?);
    if diffs.is_empty() {
        findings.push(Finding::StoredRowsMatch {
            members: stored.members.len() as u64,
        });
    }
    findings.extend(
        diffs
            .into_iter()
            .map(|diff| Finding::StoredRowsDiffer { diff }),
    );
    Ok(())
}

/// The export folder and the gens root against the record. Every file is read through the
/// path policy (`layout::Root`): a link below either root is refused, never read through.
fn check_export(
    conn: &Connection,
    stored: &Stored,
    options: &VerifyOptions,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let dir = &options.dir;
    let root = match Root::open(dir, Access::Read)? {
        Some(root) if dir.is_dir() => root,
        _ => {
            findings.push(Finding::NotExported { dir: dir.clone() });
            return Ok(());
        }
    };
    let lock_path = dir.join(LOCK_NAME);
    let (membership, lock) = layout::generated(stored);
    match root.read(Path::new(LOCK_NAME))? {
        Some(found) if found == lock.as_bytes() => {
            findings.push(Finding::FileMatches { file: lock_path })
        }
        Some(_) => findings.push(Finding::LockDiffers { file: lock_path }),
        None => findings.push(Finding::LockMissing { file: lock_path }),
    }
    check_membership(&root, &membership, findings)?;
    check_file(
        &root,
        MANIFEST_NAME,
        stored.record.manifest.as_bytes(),
        findings,
    )?;
    let spec_dir = dir.join("spec");
    let spec = compare_spec(dir, stored, Access::Read)?;
    for path in stored.bundle.files.keys() {
        if !is_plain_relative(path) {
            continue; // reported with the stored rows; no path is built from it
        }
        let file = spec_dir.join(path);
        findings.push(if spec.missing.contains(path) {
            Finding::FileMissing { file }
        } else if !spec.differing.contains(path) {
            Finding::SpecIdentical { file }
        } else if spec.same {
            Finding::SpecFormattingOnly { file }
        } else {
            Finding::SpecDiffers { file }
        });
    }
    check_metadata(conn, stored, &options.gens_root, findings)
}

fn check_file(root: &Root, name: &str, expected: &[u8], findings: &mut Vec<Finding>) -> Result<()> {
    let path = root.path().join(name);
    match root.read(Path::new(name))? {
        Some(found) if found == expected => findings.push(Finding::FileMatches { file: path }),
        Some(found) => findings.push(Finding::FileDiffers {
            file: path,
            expected: blake3::hash(expected).to_hex().to_string(),
            actual: blake3::hash(&found).to_hex().to_string(),
        }),
        None => findings.push(Finding::FileMissing { file: path }),
    }
    Ok(())
}

/// membership.csv, with which rows were added, removed or reordered when it differs.
fn check_membership(root: &Root, expected: &[u8], findings: &mut Vec<Finding>) -> Result<()> {
    let path = root.path().join(MEMBERSHIP_NAME);
    let Some(found) = root.read(Path::new(MEMBERSHIP_NAME))? else {
        findings.push(Finding::FileMissing { file: path });
        return Ok(());
    };
    if found == expected {
        findings.push(Finding::FileMatches { file: path });
        return Ok(());
    }
    let lines = |b: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(b)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (have, want) = (lines(&found), lines(expected));
    let have_set: HashSet<&String> = have.iter().collect();
    let want_set: HashSet<&String> = want.iter().collect();
    let added: Vec<&String> = have.iter().filter(|l| !want_set.contains(l)).collect();
    let removed: Vec<&String> = want.iter().filter(|l| !have_set.contains(l)).collect();
    let sample = |rows: &[&String]| rows.iter().take(3).map(|r| r.to_string()).collect();
    let change = if added.is_empty() && removed.is_empty() {
        if have.len() == want.len() {
            MembershipChange::Reordered
        } else {
            MembershipChange::RepeatedOrLineEnds
        }
    } else {
        MembershipChange::Rows {
            added: added.len(),
            added_sample: sample(&added),
            removed: removed.len(),
            removed_sample: sample(&removed),
        }
    };
    findings.push(Finding::MembershipDiffers { file: path, change });
    Ok(())
}

/// Every member's metadata.json: present, and every field the record determines equal to the
/// record's (docs/export-verify.md). `origin_cohort_id` may name another stored cohort, when
/// that cohort holds the gen_id in its record (the first export of a shared gen_id wrote it),
/// and a file `migrate` recorded on a legacy generation is accepted as it was (D24).
fn check_metadata(
    conn: &Connection,
    stored: &Stored,
    gens_root: &Path,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let cohort_id = stored.record.cohort_id.as_str();
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut missing_count = 0usize;
    let mut differs: Vec<(PathBuf, String)> = Vec::new();
    let mut differs_count = 0usize;
    let (mut present, mut other_origin, mut legacy) = (0u64, 0u64, 0u64);
    let mut origins: HashMap<String, Option<HashSet<String>>> = HashMap::new();
    let mut recorded = conn
        .prepare(crate::store::queries::LEGACY_ORIGINS_SELECT)
        .db("legacy_origins_select")?;
    let root = Root::open(gens_root, Access::Read)?;
    for (i, member) in stored.members.iter().enumerate() {
        if !stored.members.is_safe(i) {
            continue; // reported with the stored rows; no path is built from it
        }
        let found = match &root {
            Some(root) => root.read(&metadata_rel(member.stage, member.gen_id))?,
            None => None,
        };
        let path = metadata_path(gens_root, member.stage, member.gen_id);
        let Some(found) = found else {
            missing_count += 1;
            if missing.len() < 3 {
                missing.push(path);
            }
            continue;
        };
        let expected = metadata_json(
            cohort_id,
            &member,
            stored.mode(member.stage, member.template_id),
        );
        let check = compare_fields(&found, &expected);
        let problem = match &check {
            FieldCheck::Same => None,
            FieldCheck::OtherOrigin(origin) => {
                let holds = match origins.get(origin) {
                    Some(set) => set,
                    None => {
                        let set = origin_gen_ids(conn, origin)?;
                        origins.entry(origin.clone()).or_insert(set)
                    }
                };
                match holds {
                    Some(set) if set.contains(member.gen_id) => {
                        other_origin += 1;
                        None
                    }
                    Some(_) => Some(format!(
                        "origin_cohort_id {origin:?} is a stored cohort that does not hold {}",
                        member.gen_id
                    )),
                    None => Some(format!(
                        "origin_cohort_id {origin:?} is not a stored cohort"
                    )),
                }
            }
            FieldCheck::Differs(fields) => Some(
                fields
                    .iter()
                    .map(|(k, f, e)| format!("{k} is {f}, the record's is {e}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            FieldCheck::Unreadable(why) => Some(why.clone()),
        };
        // A file migrate found on a legacy generation (D24): its origin, or its exact bytes.
        let problem = match problem {
            Some(what) => {
                let origin = match &check {
                    FieldCheck::OtherOrigin(origin) => Some(origin.as_str()),
                    _ => None,
                };
                if kept_from_legacy(&mut recorded, &member, &found, &expected, origin)? {
                    legacy += 1;
                    None
                } else {
                    Some(what)
                }
            }
            None => None,
        };
        match problem {
            None => present += 1,
            Some(what) => {
                differs_count += 1;
                if differs.len() < 3 {
                    differs.push((path, what));
                }
            }
        }
    }
    if missing_count > 0 {
        findings.push(Finding::MetadataMissing {
            count: missing_count,
            sample: missing,
        });
    }
    if differs_count > 0 {
        findings.push(Finding::MetadataDiffers {
            count: differs_count,
            sample: differs,
        });
    }
    if missing_count == 0 && differs_count == 0 {
        findings.push(Finding::MetadataMatches {
            count: present,
            other_origin,
            legacy,
            gens_root: gens_root.to_path_buf(),
        });
    }
    Ok(())
}

/// Whether `migrate` recorded this member's metadata.json as one it kept from a legacy
/// generation (`legacy_origins`, D24): the file names the origin recorded for the generation
/// (`origin`: every other field is the record's), or it has exactly the bytes recorded and
/// describes the member's signature.
fn kept_from_legacy(
    stmt: &mut rusqlite::Statement<'_>,
    member: &record::Member<'_>,
    found: &[u8],
    expected: &str,
    origin: Option<&str>,
) -> Result<bool> {
    const QUERY: &str = "legacy_origins_select";
    let mut rows = stmt
        .query(rusqlite::params![member.stage as i64, member.gen_id])
        .db(QUERY)?;
    let digest = blake3::hash(found);
    while let Some(row) = rows.next().db(QUERY)? {
        let recorded: Option<String> = row.get("origin_cohort_id").db(QUERY)?;
        if origin.is_some() && recorded.as_deref() == origin {
            return Ok(true);
        }
        let file: Vec<u8> = row.get("file_blake3").db(QUERY)?;
        if file == digest.as_bytes() {
            let signature = crate::layout::metadata_signature(member.stage, found);
            return Ok(signature.is_some()
                && signature
                    == crate::layout::metadata_signature(member.stage, expected.as_bytes()));
        }
    }
    Ok(false)
}

/// The gen_ids of stored cohort `origin`, or `None` when no such cohort is stored.
fn origin_gen_ids(conn: &Connection, origin: &str) -> Result<Option<HashSet<String>>> {
    let Ok(id) = CohortId::parse(origin) else {
        return Ok(None);
    };
    let Some(record) = crate::record::load(conn, id.as_str())? else {
        return Ok(None);
    };
    let members = crate::record::load_members(conn, &record)?;
    Ok(Some(members.iter().map(|m| m.gen_id.to_string()).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: Finding) -> (Severity, String) {
        (f.severity(), f.to_string())
    }

    #[test]
    fn findings_render_as_the_cli_shows_them() {
        let file = PathBuf::from("out/membership.csv");
        assert_eq!(
            text(Finding::StoreReproduces {
                content_hash: "ab".into(),
                last_batch: 3
            }),
            (
                Severity::Ok,
                "store: content hash ab reproduces from the stored spec and the catalogs as of import batch 3"
                    .into()
            )
        );
        assert_eq!(
            text(Finding::MembersDiffer { changes: vec![] }),
            (
                Severity::Difference,
                "store: members differ (the same gen_ids, but their order or values differ)".into()
            )
        );
        assert_eq!(
            Finding::MembersDiffer {
                changes: vec![StageChange {
                    stage: "essay",
                    added: 2,
                    dropped: 1
                }]
            }
            .to_string(),
            "store: members differ (essay: 2 would be added, 1 dropped)"
        );
        assert_eq!(
            Finding::MembershipDiffers {
                file: file.clone(),
                change: MembershipChange::Rows {
                    added: 1,
                    added_sample: vec!["draft,d_x".into()],
                    removed: 4,
                    removed_sample: vec!["a".into(), "b".into(), "c".into()],
                },
            }
            .to_string(),
            "out/membership.csv: differs from the record: 1 row not in the record (draft,d_x); \
             4 rows of the record missing (a; b; c)"
        );
        assert_eq!(
            Finding::MembershipDiffers {
                file,
                change: MembershipChange::Reordered
            }
            .to_string(),
            "out/membership.csv: differs from the record: the same rows in another order"
        );
        let sample: Vec<PathBuf> = ["a", "b", "c"].iter().map(PathBuf::from).collect();
        assert_eq!(
            Finding::MetadataMissing { count: 5, sample }.to_string(),
            "metadata: 5 members have no metadata.json: a, b, c, and 2 more"
        );
        assert_eq!(
            text(Finding::SpecFormattingOnly {
                file: "spec/config.yaml".into()
            }),
            (
                Severity::Note,
                "spec/config.yaml: differs only in formatting (same canonical spec, see docs/decisions.md#d12)".into()
            )
        );
    }

    #[test]
    fn a_report_matches_only_without_differences() {
        let mut report = VerifyReport {
            cohort_id: "c".into(),
            findings: vec![Finding::SpecFormattingOnly { file: "d".into() }],
        };
        assert!(report.matches());
        report
            .findings
            .push(Finding::NotExported { dir: "d".into() });
        assert!(!report.matches());
        report.findings.pop();
        report.findings.push(Finding::ManifestDiffers);
        assert!(!report.matches());
        let json = serde_json::to_string(&report.findings[1]).expect("findings serialize");
        assert_eq!(json, r#"{"kind":"manifest_differs"}"#);
    }
}
