//! Cohort build (CLI.md `build`): a spec becomes an immutable, content-hashed record of its
//! draft / essay / evaluation members with the reference gen_ids (docs/reference.md §3,
//! docs/decisions.md D1, D2, D10–D16).
//!
//! The build runs in stages, each a function over the temp schema of the store's connection:
//! [`design`] (the design rows and their checks) → [`members`] (plan entries, gen_ids,
//! collisions) → [`checks`] (D15 empty, D16 catalogs, D2 shared gen_ids) → [`manifest`]
//! (`manifest.json` and template modes). [`compute`] runs them in that order and hashes the
//! result (`record::canonical`); the store is written only when the cohort is new, in the
//! command's one transaction ([`build`]).

pub mod checks;
pub mod design;
pub mod manifest;
pub mod members;
pub mod roles;

use std::time::SystemTime;

use rusqlite::Connection;

use crate::error::{DbContext, Error, Result};
use crate::record::canonical;
use crate::record::{self, Computed, Hashes, Record};
use crate::spec::{Plan, Spec};
use crate::store::Store;

pub use crate::ids::CohortId;

/// How to compute a cohort: the inputs a build or a verify fixes besides the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildOptions {
    /// The effective shuffle seed (`--seed`, else `output.seed`, D8).
    pub seed: Option<i64>,
    /// The newest import batch the catalogs are read as of.
    pub last_batch: i64,
    /// The cohort's build number: registry entries of earlier cohorts are consulted.
    pub cohort_no: i64,
    /// Also return the registry entries (a build stores them; verify does not need them).
    pub collect_registry: bool,
    /// Key the plan tables by their columns even when a packed key fits (tests of that path).
    pub force_columns: bool,
}

/// Computes a cohort's members, manifest, modes and hashes in temp tables on `conn`, stage by
/// stage; the first refusal stops it.
pub fn compute(
    conn: &Connection,
    cohort: &str,
    spec: &Spec,
    plan: &Plan,
    options: &BuildOptions,
) -> Result<Computed> {
    let design = design::design(conn, cohort, plan, options.seed)?;
    let counts = members::plan_entries(conn, &design, options.force_columns)?;
    checks::check_not_empty(&counts, cohort)?;
    let used = members::used_values(conn)?;
    checks::validate_catalogs(conn, &design, &used, options.last_batch, cohort)?;
    members::issue_gen_ids(conn, &counts, options.cohort_no, cohort)?;
    let manifest = manifest::manifest(conn, &design, &used, options.last_batch, cohort)?;
    let modes = manifest::modes(conn, &design, &used, options.last_batch)?;
    let spec_hash = canonical::spec_hash(spec, options.seed);
    let (members_hash, mut registry) = members::digest(conn, &counts, &design)?;
    checks::check_duplicates(conn, &registry, cohort)?;
    if !options.collect_registry {
        registry = Vec::new();
    }
    let manifest_hash = canonical::manifest_hash(&manifest);
    let texts = |role| used.texts(&design, role);
    let catalog_hash = canonical::catalog_hash(conn, &texts, options.last_batch)?;
    let content = canonical::content_hash(
        cohort,
        &spec_hash,
        &members_hash,
        &manifest_hash,
        &catalog_hash,
    );
    Ok(Computed {
        counts: counts.per_stage(),
        manifest,
        modes,
        seed: options.seed,
        last_batch: options.last_batch,
        cohort_no: options.cohort_no,
        hashes: Hashes {
            spec: spec_hash,
            members: members_hash,
            manifest: manifest_hash,
            catalog: catalog_hash,
            content,
        },
        registry,
    })
}

/// What `build` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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

/// Builds cohort `id` from `spec` and its resolved `plan` (the effective `seed` is `--seed`,
/// else `output.seed`, D8: [`Spec::effective_seed`]). One transaction: either the whole record
/// is written, or nothing.
pub fn build(
    store: &mut Store,
    id: &CohortId,
    spec: &Spec,
    plan: &Plan,
    seed: Option<i64>,
) -> Result<BuildReport> {
    let tx = store.write_transaction()?;
    let last_batch = record::last_batch(&tx)?;
    let existing = record::load(&tx, id.as_str())?;
    // The registry as it was before this cohort: an existing record's own number, else the next.
    let cohort_no = match &existing {
        Some(record) => record.cohort_no,
        None => record::next_cohort_no(&tx)?,
    };
    let options = BuildOptions {
        seed,
        last_batch,
        cohort_no,
        collect_registry: true,
        force_columns: false,
    };
    let computed = compute(&tx, id.as_str(), spec, plan, &options)?;
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
    checks::check_registry_agreement(&tx, id, cohort_no)?;
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
    let hashes = computed.hashes.compare(existing);
    let diff = members::member_diff(conn, existing.cohort_no)?;
    for (stage, (a, r)) in record::stage_names().iter().zip(diff) {
        if a > 0 || r > 0 {
            detail.push(format!("{stage} members: {a} added, {r} removed"));
        }
    }
    if hashes.members
        && diff.iter().all(|&(a, r)| a == 0 && r == 0)
    {
        detail.push("members: the same gen_ids, but their order or values differ".to_string());
    }
    if hashes.spec {
        detail.push("spec: its content changed (not only its formatting)".to_string());
    }
    if existing.seed != computed.seed {
        detail.push(format!(
            "seed: {:?} stored, {:?} now",
            existing.seed, computed.seed
        ));
    }
    if hashes.manifest {
        detail.push("manifest: changed".to_string());
    }
    if hashes.catalog {
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

