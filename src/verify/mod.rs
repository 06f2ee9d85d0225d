//! `verify`: proves a stored cohort still reproduces from its stored spec and the catalogs as
//! of its build (D12), and that its exported files are untouched. Returns a report; never
//! prints.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::cohort::{CohortId, members};
use crate::error::{DbContext, Error, Result};
use crate::export::{
    self, LOCK_NAME, MANIFEST_NAME, MEMBERSHIP_NAME, Stored, metadata_path, metadata_signature,
};

/// What to check besides the store.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The export folder (`<data-root>/cohorts/<id>` by default).
    pub dir: PathBuf,
    /// The generations root (`<data-root>/gens` by default).
    pub gens_root: PathBuf,
    /// Check only the store, not the export folder.
    pub store_only: bool,
}

/// One line of a verify report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Something that matches.
    Ok(String),
    /// Something worth knowing that is not a difference.
    Note(String),
    /// A difference: verify exits 1.
    Difference(String),
}

/// What verify found for one cohort.
#[derive(Debug, Clone, PartialEq, Eq)]
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
            .any(|f| matches!(f, Finding::Difference(_)))
    }
}

/// Verifies cohort `id`.
pub fn verify(conn: &Connection, id: &CohortId, options: &VerifyOptions) -> Result<VerifyReport> {
    let stored = Stored::load_with(conn, id, !options.store_only)?;
    let mut findings = Vec::new();
    check_store(conn, id, &stored, &mut findings)?;
    if !options.store_only {
        check_export(&stored, options, &mut findings)?;
    }
    Ok(VerifyReport {
        cohort_id: id.to_string(),
        findings,
    })
}

/// Recomputes the cohort from its stored bundle against the catalogs as of its last import
/// batch, in scratch tables, and compares the content hash.
fn check_store(
    conn: &Connection,
    id: &CohortId,
    stored: &Stored,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let record = &stored.record;
    let tx = conn.unchecked_transaction().db("begin verify")?;
    let label = format!("stored spec of {}", id.as_str());
    let outcome = crate::spec::load_bundle(&stored.bundle, &label).and_then(|spec| {
        let plan = crate::spec::resolve(&spec)?;
        members::compute(
            &tx,
            id.as_str(),
            &spec,
            &plan,
            record.seed,
            record.last_batch,
            record.cohort_no,
            false,
            false,
        )
    });
    let computed = match outcome {
        Ok(c) => c,
        // A store that cannot be read is an error, not a difference (docs/reliability.md).
        Err(e @ (Error::Db { .. } | Error::BadStore { .. })) => return Err(e),
        Err(e) => {
            findings.push(Finding::Difference(format!(
                "store: the cohort no longer recomputes from its stored spec: {e}"
            )));
            for line in e.detail() {
                findings.push(Finding::Difference(format!("  {line}")));
            }
            return Ok(());
        }
    };
    let h = &computed.hashes;
    if h.content.to_hex() == record.content_hash {
        findings.push(Finding::Ok(format!(
            "store: content hash {} reproduces from the stored spec and the catalogs as of import batch {}",
            record.content_hash, record.last_batch
        )));
        return Ok(());
    }
    findings.push(Finding::Difference(format!(
        "store: the recomputed content hash {} differs from the stored {}",
        h.content.to_hex(),
        record.content_hash
    )));
    if h.spec.to_hex() != record.spec_hash {
        findings.push(Finding::Difference(
            "store: the stored spec's canonical form changed".to_string(),
        ));
    }
    if h.members.to_hex() != record.members_hash {
        let diff = members::member_diff(&tx, record.cohort_no)?;
        let mut parts = Vec::new();
        for (stage, (a, r)) in crate::record::stage_names().iter().zip(diff) {
            if a > 0 || r > 0 {
                parts.push(format!("{stage}: {a} would be added, {r} dropped"));
            }
        }
        if parts.is_empty() {
            parts.push("the same gen_ids, but their order or values differ".to_string());
        }
        findings.push(Finding::Difference(format!(
            "store: members differ ({})",
            parts.join("; ")
        )));
    }
    if h.manifest.to_hex() != record.manifest_hash {
        findings.push(Finding::Difference(
            "store: the manifest differs".to_string(),
        ));
    }
    if h.catalog.to_hex() != record.catalog_hash {
        findings.push(Finding::Difference(
            "store: catalog rows the cohort references differ from what they were at build time (changed behind \
             the store's back?)"
                .to_string(),
        ));
    }
    Ok(())
}

fn check_export(
    stored: &Stored,
    options: &VerifyOptions,
    findings: &mut Vec<Finding>,
) -> Result<()> {
    let dir = &options.dir;
    let lock_path = dir.join(LOCK_NAME);
    let lock_bytes = match std::fs::read(&lock_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            findings.push(Finding::Note(format!(
                "export: not exported ({} has no {LOCK_NAME}); only the store was checked",
                dir.display()
            )));
            return Ok(());
        }
        Err(e) => return Err(Error::io(&lock_path, e)),
    };
    let (membership, lock) = stored.generated();
    if lock_bytes == lock.as_bytes() {
        findings.push(Finding::Ok(format!(
            "{}: matches the record",
            lock_path.display()
        )));
    } else {
        findings.push(Finding::Difference(format!(
            "{}: differs from the record's lock file",
            lock_path.display()
        )));
    }
    check_membership(&dir.join(MEMBERSHIP_NAME), &membership, findings)?;
    check_file(
        &dir.join(MANIFEST_NAME),
        stored.record.manifest.as_bytes(),
        findings,
    )?;
    let spec_dir = dir.join("spec");
    let (differing, same) = export::compare_spec(&spec_dir, stored)?;
    for path in stored.bundle.files.keys() {
        let shown = spec_dir.join(path).display().to_string();
        if !spec_dir.join(path).exists() {
            findings.push(Finding::Difference(format!("{shown}: missing")));
        } else if !differing.contains(path) {
            findings.push(Finding::Ok(format!(
                "{shown}: identical to the stored spec"
            )));
        } else if same {
            findings.push(Finding::Note(format!(
                "{shown}: differs only in formatting (same canonical spec, D12)"
            )));
        } else {
            findings.push(Finding::Difference(format!(
                "{shown}: differs from the stored spec"
            )));
        }
    }
    check_metadata(stored, &options.gens_root, findings)
}

fn check_file(path: &Path, expected: &[u8], findings: &mut Vec<Finding>) -> Result<()> {
    match std::fs::read(path) {
        Ok(found) if found == expected => findings.push(Finding::Ok(format!(
            "{}: matches the record",
            path.display()
        ))),
        Ok(found) => findings.push(Finding::Difference(format!(
            "{}: differs from the record (BLAKE3 {}, expected {})",
            path.display(),
            blake3::hash(&found).to_hex(),
            blake3::hash(expected).to_hex()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            findings.push(Finding::Difference(format!("{}: missing", path.display())));
        }
        Err(e) => return Err(Error::io(path, e)),
    }
    Ok(())
}

/// membership.csv, with which rows were added, removed or reordered when it differs.
fn check_membership(path: &Path, expected: &[u8], findings: &mut Vec<Finding>) -> Result<()> {
    let found = match std::fs::read(path) {
        Ok(found) => found,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            findings.push(Finding::Difference(format!("{}: missing", path.display())));
            return Ok(());
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    if found == expected {
        findings.push(Finding::Ok(format!(
            "{}: matches the record",
            path.display()
        )));
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
    let sample = |rows: &[&String]| {
        rows.iter()
            .take(3)
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut what = Vec::new();
    if !added.is_empty() {
        what.push(format!(
            "{} row(s) not in the record ({})",
            added.len(),
            sample(&added)
        ));
    }
    if !removed.is_empty() {
        what.push(format!(
            "{} row(s) of the record missing ({})",
            removed.len(),
            sample(&removed)
        ));
    }
    if added.is_empty() && removed.is_empty() {
        what.push(if have.len() == want.len() {
            "the same rows in another order".to_string()
        } else {
            "rows repeated or line endings changed".to_string()
        });
    }
    findings.push(Finding::Difference(format!(
        "{}: differs from the record: {}",
        path.display(),
        what.join("; ")
    )));
    Ok(())
}

fn check_metadata(stored: &Stored, gens_root: &Path, findings: &mut Vec<Finding>) -> Result<()> {
    let (mut missing, mut wrong, mut ok) = (Vec::new(), Vec::new(), 0u64);
    for member in stored.members.iter() {
        let path = metadata_path(gens_root, member.stage, member.gen_id);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let sig = metadata_signature(member.stage, &bytes);
                if sig.is_some() && sig == member.signature() {
                    ok += 1;
                } else {
                    wrong.push(path.display().to_string());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing.push(path.display().to_string())
            }
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    let list = |paths: &[String]| {
        let mut shown = paths.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        if paths.len() > 3 {
            shown.push_str(&format!(", and {} more", paths.len() - 3));
        }
        shown
    };
    if !missing.is_empty() {
        findings.push(Finding::Difference(format!(
            "metadata: {} member(s) have no metadata.json: {}",
            missing.len(),
            list(&missing)
        )));
    }
    if !wrong.is_empty() {
        findings.push(Finding::Difference(format!(
            "metadata: {} metadata.json file(s) describe another generation than the member's: {}",
            wrong.len(),
            list(&wrong)
        )));
    }
    if missing.is_empty() && wrong.is_empty() {
        findings.push(Finding::Ok(format!(
            "metadata: all {ok} metadata.json files under {} have their member's signature",
            gens_root.display()
        )));
    }
    Ok(())
}
