//! `verify`: proves a stored cohort still reproduces from its stored spec and the catalogs as
//! of its build (D12), and that its exported files are untouched. Returns a report; never
//! prints.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::cohort::{self, BuildOptions, members};
use crate::error::{Access, DbContext, Error, Result, UsageError};
use crate::ids::{CohortId, Stage};
use crate::layout::{
    self, FieldCheck, LOCK_NAME, MANIFEST_NAME, MEMBERSHIP_NAME, Root, compare_fields,
    compare_spec, metadata_json, metadata_path, metadata_rel,
};
use crate::record::{self, Stored, is_plain_relative};

mod finding;

pub use finding::{Finding, MembershipChange, Severity, StageChange, VerifyReport};

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
