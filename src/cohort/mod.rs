//! Cohort build (CLI.md `build`): a spec becomes an immutable, content-hashed record of its
//! draft / essay / evaluation members with the reference gen_ids (semantics §3, D1, D2,
//! D10–D16).
//!
//! Everything is computed in the temp schema first ([`members::compute`]); the store is written
//! only when the cohort is new, in the command's one transaction.

pub mod members;
pub mod roles;

use std::fmt;
use std::time::SystemTime;

use rusqlite::{Connection, params};

use crate::error::{DbContext, Error, Result};
use crate::record::{self, Record};
use crate::spec::{Spec, resolve};
use crate::store::{Store, queries};

pub use members::{Computed, Hashes};

/// A cohort id (D11): 1–128 characters of `[A-Za-z0-9._-]`, starting with a letter or digit.
/// Checked before anything is read or written, so it is always a safe folder name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CohortId(String);

impl CohortId {
    /// Validates a cohort id.
    pub fn parse(text: &str) -> Result<CohortId> {
        let bytes = text.as_bytes();
        let ok = !bytes.is_empty()
            && bytes.len() <= 128
            && bytes[0].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            return Ok(CohortId(text.to_string()));
        }
        let shown: String = if text.chars().count() > 60 {
            format!(
                "{}… ({} characters)",
                text.chars().take(60).collect::<String>(),
                text.chars().count()
            )
        } else {
            text.to_string()
        };
        let message = match crate::textfmt::invisible_problem(text) {
            Some(problem) => format!("invalid cohort id: {problem}"),
            None => format!("invalid cohort id {shown:?}"),
        };
        Err(Error::Usage {
            message,
            detail: vec![
                "a cohort id is 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit \
                 (D11); it names the folder cohorts/<id>/"
                    .to_string(),
            ],
        })
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CohortId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What `build` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildStatus {
    /// A new record was written.
    Created,
    /// A record with the same content hash exists; nothing was written. `formatting_only` says
    /// the spec files differ from the stored bundle in bytes but not in canonical form.
    Unchanged {
        /// The spec files differ from the stored bundle only in formatting.
        formatting_only: bool,
    },
}

/// The result of `build`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildReport {
    /// The cohort.
    pub cohort_id: String,
    /// Created or unchanged.
    pub status: BuildStatus,
    /// Members per stage.
    pub counts: [u64; 3],
    /// The content hash.
    pub content_hash: String,
}

/// Builds cohort `id` from `spec` (the effective `seed` is `--seed`, else `output.seed`, D8).
/// One transaction: either the whole record is written, or nothing.
pub fn build(
    store: &mut Store,
    id: &CohortId,
    spec: &Spec,
    seed: Option<i64>,
) -> Result<BuildReport> {
    let plan = resolve(spec)?;
    let tx = store.write_transaction()?;
    let last_batch = record::last_batch(&tx)?;
    let existing = record::load(&tx, id.as_str())?;
    // The registry as it was before this cohort: an existing record's own number, else the next.
    let cohort_no = match &existing {
        Some(record) => record.cohort_no,
        None => record::next_cohort_no(&tx)?,
    };
    let computed = members::compute(
        &tx,
        id.as_str(),
        spec,
        &plan,
        seed,
        last_batch,
        cohort_no,
        true,
        false,
    )?;
    let content_hash = computed.hashes.content.to_hex();
    if let Some(existing) = existing {
        if existing.content_hash == content_hash {
            let stored = record::load_bundle(&tx, &existing)?;
            let formatting_only = stored.files != spec.bundle.files;
            return Ok(BuildReport {
                cohort_id: id.to_string(),
                status: BuildStatus::Unchanged { formatting_only },
                counts: computed.counts,
                content_hash,
            });
        }
        return Err(changed(&tx, &existing, &computed)?);
    }
    check_registry_agreement(&tx, id, cohort_no)?;
    let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    record::write(&tx, id.as_str(), &computed, &spec.bundle, &now)?;
    tx.commit().db("commit build")?;
    Ok(BuildReport {
        cohort_id: id.to_string(),
        status: BuildStatus::Created,
        counts: computed.counts,
        content_hash,
    })
}

/// D14: a different result under an existing id is refused, saying what changed.
fn changed(conn: &Connection, existing: &Record, computed: &Computed) -> Result<Error> {
    let mut detail = vec![
        format!("stored content hash {}", existing.content_hash),
        format!("new content hash    {}", computed.hashes.content.to_hex()),
    ];
    let diff = members::member_diff(conn, existing.cohort_no)?;
    for (stage, (a, r)) in record::stage_names().iter().zip(diff) {
        if a > 0 || r > 0 {
            detail.push(format!("{stage} members: {a} added, {r} removed"));
        }
    }
    if existing.members_hash != computed.hashes.members.to_hex()
        && diff.iter().all(|&(a, r)| a == 0 && r == 0)
    {
        detail.push("members: the same gen_ids, but their order or values differ".to_string());
    }
    if existing.spec_hash != computed.hashes.spec.to_hex() {
        detail.push("spec: its content changed (not only its formatting)".to_string());
    }
    if existing.seed != computed.seed {
        detail.push(format!(
            "seed: {:?} stored, {:?} now",
            existing.seed, computed.seed
        ));
    }
    if existing.manifest_hash != computed.hashes.manifest.to_hex() {
        detail.push("manifest: changed".to_string());
    }
    if existing.catalog_hash != computed.hashes.catalog.to_hex() {
        detail.push("catalog rows the cohort references: changed".to_string());
    }
    detail.push(format!(
        "hint: a cohort record never changes (D14); build the changed spec under a new cohort id, e.g. \
         `cohortdb build {}-v2 --spec …`",
        existing.cohort_id
    ));
    Ok(Error::Refused {
        message: format!(
            "cohort {:?} already exists with different content; nothing was written",
            existing.cohort_id
        ),
        detail,
    })
}

/// D2 across cohorts: a member whose gen_id an earlier cohort registered must agree with it on
/// everything the registry holds (stage, parent, combo, template, LLM, replicate).
fn check_registry_agreement(conn: &Connection, id: &CohortId, cohort_no: i64) -> Result<()> {
    let mut stmt = conn
        .prepare(queries::BUILD_REGISTRY_DISAGREEMENTS)
        .db("build_registry_disagreements")?;
    type Row = (
        String,
        String,
        [Option<String>; 4],
        i64,
        [Option<String>; 4],
        i64,
        i64,
    );
    let rows: Vec<Row> = stmt
        .query_map(params![cohort_no], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?],
                r.get(6)?,
                [r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?],
                r.get(11)?,
                r.get(12)?,
            ))
        })
        .db("build_registry_disagreements")?
        .collect::<rusqlite::Result<_>>()
        .db("build_registry_disagreements")?;
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let names = ["parent_gen_id", "combo_id", "template_id", "llm_model_id"];
    let mut detail = Vec::new();
    for (gen_id, other, theirs, their_rep, ours, our_rep, _) in &rows {
        let mut diffs: Vec<String> = (0..4)
            .filter(|i| theirs[*i] != ours[*i])
            .map(|i| {
                format!(
                    "{} {} (cohort {other}) vs {} here",
                    names[i],
                    theirs[i].as_deref().unwrap_or("none"),
                    ours[i].as_deref().unwrap_or("none")
                )
            })
            .collect();
        if their_rep != our_rep {
            diffs.push(format!(
                "replicate {their_rep} (cohort {other}) vs {our_rep} here"
            ));
        }
        detail.push(format!("{gen_id}: {}", diffs.join("; ")));
    }
    detail.push(
        "hint: the gen_id names one generation; reusing it would run it with the earlier cohort's values \
         and silently ignore this cohort's (D2). The essay id does not include essay_llm, and ids ignore \
         letter case"
            .to_string(),
    );
    Err(Error::Refused {
        message: format!(
            "cohort {:?}: {} member{} reuse gen_ids that earlier cohorts issued with different values",
            id.as_str(),
            first.6,
            if first.6 == 1 { "" } else { "s" }
        ),
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohort_ids_are_plain_names() {
        for ok in ["spec-cohort", "c1", "A.b_c-9", &"x".repeat(128)] {
            assert!(CohortId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../spec-cohort",
            "spec cohort",
            "a/b",
            ".hidden",
            "-x",
            "a\0b",
            &"x".repeat(129),
            &"y".repeat(1000),
            "é",
        ] {
            assert!(CohortId::parse(bad).is_err(), "{bad:?}");
        }
    }
}
