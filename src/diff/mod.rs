//! `diff A B`: what differs between two cohorts — the Dolt `diff` of cohorts (docs/cli.md
//! `diff`). Each side is a stored cohort, or a spec built in a scratch in-memory store that
//! holds a copy of the real store's catalog rows (attached read-only; nothing is written to the
//! store or to a file). Members are matched by stage and gen_id (docs/reference.md §3.9):
//! a member only in B is added, one only in A removed, each with the axis values that explain
//! it. The specs are compared with [`crate::status::spec_changes()`]. The catalog rows each side
//! references — the rows its catalog digest covers (docs/hashing.md), read as of its record's
//! last import batch — are compared row by row ([`catalog`]): which rows only A or only B
//! references, and which columns differ in a row both reference.
//!
//! A spec built in the scratch store sees no earlier cohorts, so its gen_ids carry collision
//! index 0 (D1); a stored cohort built after a colliding one may differ there.

pub mod catalog;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{CohortLookup, Error, Result, UsageError};
use crate::ids::{CohortId, Stage};
use crate::record::{Members, Record, load_bundle, load_members};
use crate::spec::Spec;
use crate::status::{SpecChange, spec_changes};
use crate::store::Store;

pub use crate::record::catalog::CatalogTable;
pub use catalog::{CatalogRowDiff, CatalogTableDiff, Columns, FieldChange};

/// One side of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// A stored cohort.
    Cohort(CohortId),
    /// A spec file, or a folder holding `config.yaml`, built in a scratch store.
    Spec(PathBuf),
}

impl Side {
    /// An argument as the user gave it: an existing file, or a folder holding `config.yaml`,
    /// is a spec; anything else is a stored cohort id.
    pub fn parse(arg: &str) -> Result<Side> {
        let path = Path::new(arg);
        if path.is_file() || path.join("config.yaml").is_file() {
            Ok(Side::Spec(path.to_path_buf()))
        } else {
            Ok(Side::Cohort(CohortId::parse(arg)?))
        }
    }

    /// The side as named in reports.
    pub fn label(&self) -> String {
        match self {
            Side::Cohort(id) => id.to_string(),
            Side::Spec(path) => path.display().to_string(),
        }
    }
}

/// A member only one side has, with the values that explain it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiffMember {
    /// The stage.
    pub stage: String,
    /// The gen_id.
    pub gen_id: String,
    /// The parent's gen_id (essays and evaluations).
    pub parent_gen_id: Option<String>,
    /// The combo.
    pub combo_id: String,
    /// The template.
    pub template_id: String,
    /// The LLM.
    pub llm_model_id: String,
    /// The replicate.
    pub replicate: crate::ids::Replicate,
}

/// Members added and removed in one stage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StageDiff {
    /// The stage.
    pub stage: String,
    /// Members in A.
    pub a: u64,
    /// Members in B.
    pub b: u64,
    /// How many only B has.
    pub added: u64,
    /// How many only A has.
    pub removed: u64,
}

/// What differs between A and B.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DiffReport {
    /// A, as named.
    pub a: String,
    /// B, as named.
    pub b: String,
    /// True when nothing differs (exit 0).
    pub identical: bool,
    /// Counts per stage.
    pub stages: Vec<StageDiff>,
    /// From A's spec to B's.
    pub spec_changes: Vec<SpecChange>,
    /// The digests of the catalog rows each side references differ: one references other
    /// rows, or the same rows with other content (docs/hashing.md).
    pub catalog_digest_differs: bool,
    /// Referenced catalog rows per table: how many each side has, how many differ (all five
    /// tables, in digest order).
    pub catalog_tables: Vec<CatalogTableDiff>,
    /// The referenced catalog rows that differ, by table then key (empty with `stat_only`).
    pub catalog_rows: Vec<CatalogRowDiff>,
    /// The sides (`"a"`, `"b"`) whose referenced rows, as the store holds them now, no longer
    /// hash to their record's catalog digest: rows were changed outside cohortdb (catalogs are
    /// append-only, docs/decisions.md D9); `verify` says more.
    pub catalog_digest_mismatch: Vec<String>,
    /// Members only B has, in B's membership order (empty with `stat_only`).
    pub added: Vec<DiffMember>,
    /// Members only A has, in A's membership order (empty with `stat_only`).
    pub removed: Vec<DiffMember>,
}

/// A side loaded: its members, spec, effective seed, referenced-catalog digest and rows.
struct Loaded {
    members: Members,
    spec: Spec,
    seed: Option<crate::seed::Seed>,
    catalog_hash: String,
    catalog: catalog::SideRows,
}

fn loaded_record(conn: &Connection, record: &Record, label: &str) -> Result<Loaded> {
    let bundle = load_bundle(conn, record)?;
    let members = load_members(conn, record)?;
    let catalog = catalog::side_rows(conn, &members, record.last_batch, &record.catalog_hash)?;
    Ok(Loaded {
        members,
        spec: crate::spec::load_bundle(&bundle, label)?,
        seed: record.seed.clone(),
        catalog_hash: record.catalog_hash.clone(),
        catalog,
    })
}

/// Loads one side: a stored cohort from `conn`, or a spec built into `scratch` (created on
/// first use from the store at `db`).
fn load_side(
    conn: &Connection,
    db: &Path,
    scratch: &mut Option<Store>,
    side: &Side,
    slot: &str,
) -> Result<Loaded> {
    match side {
        Side::Cohort(id) => {
            let record = crate::record::load(conn, id.as_str())?.ok_or_else(|| {
                UsageError::NoSuchCohort {
                    id: id.as_str().to_string(),
                    lookup: CohortLookup::Diff,
                    did_you_mean: crate::record::nearest_id(conn, id.as_str()),
                }
            })?;
            loaded_record(conn, &record, &format!("the stored spec of {id}"))
        }
        Side::Spec(path) => {
            let spec = crate::spec::load_path(path)?;
            let plan = crate::spec::resolve(&spec)?;
            let rows = plan.row_count();
            if rows > crate::compile::DEFAULT_MAX_ROWS {
                return Err(UsageError::DiffTooManyRows {
                    path: path.display().to_string(),
                    rows,
                    max: crate::compile::DEFAULT_MAX_ROWS,
                }
                .into());
            }
            if scratch.is_none() {
                *scratch = Some(crate::status::scratch::with_catalogs_of(db)?);
            }
            let store = scratch
                .as_mut()
                .ok_or_else(|| Error::internal("the scratch store was just created", ""))?;
            let id = CohortId::parse(slot)?;
            let seed = spec.effective_seed(None);
            crate::cohort::build(store, &id, &spec, &plan, seed.as_ref())?;
            let record = crate::record::load(store.conn(), slot)?
                .ok_or_else(|| Error::internal("a scratch build stores its record", ""))?;
            let mut loaded = loaded_record(store.conn(), &record, &path.display().to_string())?;
            // The spec as the user wrote it (its labels and locations), not the bundle copy.
            loaded.spec = spec;
            Ok(loaded)
        }
    }
}

fn diff_member(m: crate::record::Member<'_>) -> DiffMember {
    DiffMember {
        stage: m.stage.as_str().to_string(),
        gen_id: m.gen_id.to_string(),
        parent_gen_id: m.parent_gen_id.map(str::to_string),
        combo_id: m.combo_id.to_string(),
        template_id: m.template_id.to_string(),
        llm_model_id: m.llm_model_id.to_string(),
        replicate: m.replicate.clone(),
    }
}

/// Members of `from` that `other` lacks, counted per stage, listed unless `stat_only`.
/// The set is hashed with foldhash (already in the tree through rusqlite's hashbrown): the
/// keys are the store's own gen_ids, and SipHash's protection against chosen keys cost most of
/// a million-member diff's time.
fn only_in(from: &Members, other: &Members, stat_only: bool) -> ([u64; 3], Vec<DiffMember>) {
    let mut keys: HashSet<(Stage, &str), foldhash::fast::RandomState> =
        HashSet::with_capacity_and_hasher(other.len(), Default::default());
    keys.extend((0..other.len()).map(|i| other.key(i)));
    let mut counts = [0u64; 3];
    let mut list = Vec::new();
    for i in 0..from.len() {
        let key = from.key(i);
        if !keys.contains(&key) {
            counts[key.0 as usize] += 1;
            if !stat_only {
                list.push(diff_member(from.get(i)));
            }
        }
    }
    (counts, list)
}

/// Compares A and B. `conn` is the store (read-only is enough), `db` its file (a spec side's
/// scratch store copies its catalogs).
pub fn diff(
    conn: &Connection,
    db: &Path,
    a: &Side,
    b: &Side,
    stat_only: bool,
) -> Result<DiffReport> {
    let mut scratch = None;
    let left = load_side(conn, db, &mut scratch, a, "diff-a")?;
    let right = load_side(conn, db, &mut scratch, b, "diff-b")?;
    let (removed_counts, removed) = only_in(&left.members, &right.members, stat_only);
    let (added_counts, added) = only_in(&right.members, &left.members, stat_only);
    let per_stage = |members: &Members| {
        let mut c = [0u64; 3];
        for m in members.iter() {
            c[m.stage as usize] += 1;
        }
        c
    };
    let (ca, cb) = (per_stage(&left.members), per_stage(&right.members));
    let stages: Vec<StageDiff> = Stage::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| StageDiff {
            stage: s.as_str().to_string(),
            a: ca[i],
            b: cb[i],
            added: added_counts[i],
            removed: removed_counts[i],
        })
        .collect();
    let changes = spec_changes(
        &left.spec,
        left.seed.as_ref(),
        &right.spec,
        right.seed.as_ref(),
    );
    let catalog_digest_differs = left.catalog_hash != right.catalog_hash;
    let rows = catalog::compare(&left.catalog.rows, &right.catalog.rows, stat_only);
    let catalog_digest_mismatch = [("a", &left), ("b", &right)]
        .into_iter()
        .filter(|(_, side)| !side.catalog.matches_record)
        .map(|(slot, _)| slot.to_string())
        .collect();
    let identical = changes.is_empty()
        && !catalog_digest_differs
        && rows.tables.iter().all(|t| !t.differs())
        && stages.iter().all(|s| s.added == 0 && s.removed == 0);
    Ok(DiffReport {
        a: a.label(),
        b: b.label(),
        identical,
        stages,
        spec_changes: changes,
        catalog_digest_differs,
        catalog_tables: rows.tables,
        catalog_rows: rows.rows,
        catalog_digest_mismatch,
        added,
        removed,
    })
}
