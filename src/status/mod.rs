//! `status`: what is stale — the DVC `status` of cohorts (docs/cli.md `status`). Read-only and
//! fast: it compares files on disk with the stored record by hash and never reads the members'
//! metadata.json files (that is `verify`'s job).
//!
//! For one cohort it checks, in order: the spec folder (`<data-root>/cohorts/<id>/spec`)
//! against the stored spec, by canonical form (D12) and, when it differs, how (which file,
//! which axis or rule); the export (`membership.csv`, `manifest.json`, `cohort.lock.json`)
//! against the record, by hash; and newer cohorts that reuse gen_ids this one registered (D2).
//! A sibling of `export` and `verify` (docs/architecture.md).

pub mod scratch;
pub mod spec_changes;

use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::Access;
use crate::error::{DbContext, Error, Result};
use crate::ids::{CohortId, Stage};
use crate::layout::{LOCK_NAME, MANIFEST_NAME, MEMBERSHIP_NAME, Root, compare_spec, lock_json_for};
use crate::record::{MemberRows, Stored};
use crate::store::queries;

pub use spec_changes::{SpecChange, spec_changes};

/// One way a cohort is not current.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Stale {
    /// The spec folder on disk means something else than the stored spec: build it under a new
    /// cohort id, or restore the stored spec (`cohortdb show ID --spec-out DIR`).
    SpecChanged {
        /// The spec folder.
        dir: PathBuf,
        /// Spec files whose bytes differ from the stored ones.
        files: Vec<String>,
        /// What the edits change.
        changes: Vec<SpecChange>,
        /// Why the spec on disk no longer loads, when it does not.
        error: Option<String>,
    },
    /// The cohort was never exported (no `cohort.lock.json` in its folder).
    NotExported {
        /// The export folder.
        dir: PathBuf,
    },
    /// An exported file is missing.
    ExportMissing {
        /// The file.
        file: PathBuf,
    },
    /// An exported file's hash differs from the record's.
    ExportDiffers {
        /// The file.
        file: PathBuf,
    },
    /// The store's rows of this cohort cannot be the record (a row written behind cohortdb's
    /// back, past a CHECK constraint): `cohortdb verify ID` names every difference.
    RowsDamaged {
        /// The first damaged row.
        row: String,
    },
    /// A newer cohort reuses gen_ids this cohort registered first (D2): their generations are
    /// shared, so regenerating one changes both. A note: it does not make the cohort stale
    /// (nothing is to be fixed; the store is append-only).
    SharedGenIds {
        /// The newer cohort.
        cohort_id: String,
        /// How many gen_ids.
        shared: u64,
    },
}

impl Stale {
    /// True for information that does not make a cohort stale ([`Stale::SharedGenIds`]).
    pub fn is_note(&self) -> bool {
        matches!(self, Stale::SharedGenIds { .. })
    }

    /// How to fix it, for cohort `cohort_id` (docs/cli.md `status`, "the fix"): `None` for a
    /// note, and where the finding's own text already says what to run.
    pub fn fix(&self, cohort_id: &str) -> Option<String> {
        match self {
            Stale::SpecChanged { dir, .. } => Some(format!(
                "keep the edit as a new cohort: `cohortdb build NEW_ID --spec {dir}`; or undo it: \
                 `cohortdb show {cohort_id} --spec-out DIR` writes the stored spec",
                dir = dir.display()
            )),
            Stale::NotExported { .. } | Stale::ExportMissing { .. } => {
                Some(format!("`cohortdb export {cohort_id}`"))
            }
            Stale::ExportDiffers { .. } => Some(format!(
                "`cohortdb export {cohort_id} --force` writes it again from the record"
            )),
            Stale::RowsDamaged { .. } | Stale::SharedGenIds { .. } => None,
        }
    }
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::SpecChanged {
                dir, files, error, ..
            } => {
                write!(
                    f,
                    "spec changed in {}: {}",
                    dir.display(),
                    if files.is_empty() {
                        "-".to_string()
                    } else {
                        files.join(", ")
                    }
                )?;
                if let Some(error) = error {
                    write!(f, " (it no longer loads: {error})")?;
                }
                Ok(())
            }
            Stale::NotExported { dir } => {
                write!(f, "not exported (no {LOCK_NAME} in {})", dir.display())
            }
            Stale::ExportMissing { file } => write!(f, "exported file missing: {}", file.display()),
            Stale::RowsDamaged { row } => write!(
                f,
                "the store's rows are not a record ({row}); `cohortdb verify` shows every difference"
            ),
            Stale::ExportDiffers { file } => {
                write!(
                    f,
                    "exported file differs from the record: {}",
                    file.display()
                )
            }
            Stale::SharedGenIds { cohort_id, shared } => write!(
                f,
                "newer cohort {cohort_id} shares {}",
                crate::textfmt::count(*shared, "gen_id")
            ),
        }
    }
}

/// The status of one stored cohort. In JSON each finding of `stale` also carries its `fix`
/// ([`Stale::fix`]: the command to run), as the text report prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortStatus {
    /// The cohort.
    pub cohort_id: String,
    /// True when nothing is stale (notes aside).
    pub current: bool,
    /// Everything that is not current, and notes ([`Stale::is_note`]).
    pub stale: Vec<Stale>,
    /// Per stage, members with prompt / raw / parsed outputs in the results ledger (when
    /// anything was imported with `import gens`).
    pub progress: Option<crate::results::ProgressReport>,
}

impl serde::Serialize for CohortStatus {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        /// A finding with its fix.
        #[derive(serde::Serialize)]
        struct Finding<'a> {
            #[serde(flatten)]
            stale: &'a Stale,
            #[serde(skip_serializing_if = "Option::is_none")]
            fix: Option<String>,
        }
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            cohort_id: &'a str,
            current: bool,
            stale: Vec<Finding<'a>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            progress: Option<&'a crate::results::ProgressReport>,
        }
        Doc {
            cohort_id: &self.cohort_id,
            current: self.current,
            stale: self
                .stale
                .iter()
                .map(|stale| Finding {
                    stale,
                    fix: stale.fix(&self.cohort_id),
                })
                .collect(),
            progress: self.progress.as_ref(),
        }
        .serialize(serializer)
    }
}

impl CohortStatus {
    /// True when nothing is stale (notes aside).
    pub fn is_current(&self) -> bool {
        self.current
    }
}

/// Where `status` looks.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    /// The data layout root: cohort folders are `<data_root>/cohorts/<id>`.
    pub data_root: PathBuf,
    /// List the gen_ids without parsed.txt in the progress (`status --missing`).
    pub missing: bool,
}

impl StatusOptions {
    /// The export folder of cohort `id`.
    pub fn cohort_dir(&self, id: &str) -> PathBuf {
        crate::layout::DataLayout::new(&self.data_root).cohort(id)
    }
}

/// Checks one stored cohort.
pub fn cohort_status(
    conn: &Connection,
    id: &CohortId,
    options: &StatusOptions,
) -> Result<CohortStatus> {
    let stored = Stored::load_with(conn, id, MemberRows::Skip)?;
    let dir = options.cohort_dir(id.as_str());
    let root = Root::open(&dir, Access::Read)?;
    let mut stale = Vec::new();
    if let Some(root) = &root
        && let Some(spec) = spec_status(root, &stored)?
    {
        stale.push(spec);
    }
    stale.extend(export_status(conn, root.as_ref(), &dir, &stored)?);
    stale.extend(newer_sharing(conn, &stored)?);
    let progress = match crate::results::last_import(conn)? {
        Some(_) => Some(crate::results::progress(conn, id, options.missing)?),
        None => None,
    };
    Ok(CohortStatus {
        cohort_id: id.as_str().to_string(),
        current: stale.iter().all(Stale::is_note),
        stale,
        progress,
    })
}

/// The spec folder (`spec/` below the cohort folder `root`, which must be a real folder there)
/// against the stored spec: `None` when it is absent or means the same (formatting-only edits
/// are not stale, D12).
fn spec_status(root: &Root, stored: &Stored) -> Result<Option<Stale>> {
    if !root.has_folder(Path::new("spec"))? {
        return Ok(None);
    }
    let dir = root.path().join("spec");
    let dir = dir.as_path();
    let spec = compare_spec(root.path(), stored, Access::Read)?;
    if spec.same {
        return Ok(None);
    }
    let files = spec.differing;
    let label = format!("the stored spec of {}", stored.record.cohort_id);
    let old = crate::spec::load_bundle(&stored.bundle, &label)?;
    let (changes, error) = match crate::spec::load_path(dir) {
        Ok(new) => (
            spec_changes(
                &old,
                stored.record.seed.as_ref(),
                &new,
                new.effective_seed(None)
                    .or(stored.record.seed.clone())
                    .as_ref(),
            ),
            None,
        ),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    Ok(Some(Stale::SpecChanged {
        dir: dir.to_path_buf(),
        files,
        changes,
        error,
    }))
}

/// BLAKE3 of the file `name` in the cohort folder `root` (read through the path policy),
/// streamed; `None` when it does not exist.
fn hash_file(root: Option<&Root>, name: &str) -> Result<Option<blake3::Hash>> {
    let Some(root) = root else {
        return Ok(None);
    };
    let Some((mut file, _)) = root.open_file(Path::new(name))? else {
        return Ok(None);
    };
    let path = root.path().join(name);
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(&path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(Some(hasher.finalize()))
}

/// BLAKE3 of the `membership.csv` the record determines, streamed from the store (the same
/// bytes as `layout::membership_csv`, without loading the members); `Err` naming the first row
/// that cannot be part of a record (a stage past the CHECK constraint).
fn expected_membership_hash(
    conn: &Connection,
    cohort_no: i64,
) -> Result<std::result::Result<blake3::Hash, String>> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"stage,gen_id\n");
    let mut stmt = conn
        .prepare(queries::STATUS_MEMBERSHIP_LINES)
        .db("status_membership_lines")?;
    let mut rows = stmt.query([cohort_no]).db("status_membership_lines")?;
    let mut line = Vec::with_capacity(64);
    while let Some(r) = rows.next().db("status_membership_lines")? {
        let stage: i64 = r.get("stage").db("status_membership_lines")?;
        let Some(stage) = usize::try_from(stage).ok().and_then(|s| Stage::ALL.get(s)) else {
            return Ok(Err(format!(
                "a member of stage {stage}, which is not 0, 1 or 2"
            )));
        };
        let gen_id = r.get_ref("gen_id").db("status_membership_lines")?;
        let gen_id = gen_id
            .as_str()
            .map_err(|e| Error::internal("a stored gen_id is text", e.to_string()))?;
        line.clear();
        line.extend_from_slice(stage.as_str().as_bytes());
        line.push(b',');
        crate::textfmt::write_csv_field(&mut line, gen_id.as_bytes(), false)
            .map_err(|e| Error::internal("a membership line formats into memory", e.to_string()))?;
        line.push(b'\n');
        hasher.update(&line);
    }
    Ok(Ok(hasher.finalize()))
}

/// The export folder against the record, by hash.
fn export_status(
    conn: &Connection,
    root: Option<&Root>,
    dir: &Path,
    stored: &Stored,
) -> Result<Vec<Stale>> {
    let lock_path = dir.join(LOCK_NAME);
    let Some(lock_found) = hash_file(root, LOCK_NAME)? else {
        return Ok(vec![Stale::NotExported {
            dir: dir.to_path_buf(),
        }]);
    };
    let membership = match expected_membership_hash(conn, stored.record.cohort_no)? {
        Ok(hash) => hash,
        Err(row) => return Ok(vec![Stale::RowsDamaged { row }]),
    };
    let lock = lock_json_for(&stored.record, &membership.to_hex(), &stored.bundle);
    let expected = [
        (MEMBERSHIP_NAME, membership),
        (
            MANIFEST_NAME,
            blake3::hash(stored.record.manifest.as_bytes()),
        ),
    ];
    let mut stale = Vec::new();
    for (name, hash) in expected {
        let file = dir.join(name);
        match hash_file(root, name)? {
            None => stale.push(Stale::ExportMissing { file }),
            Some(found) if found != hash => stale.push(Stale::ExportDiffers { file }),
            Some(_) => {}
        }
    }
    if lock_found != blake3::hash(lock.as_bytes()) {
        stale.push(Stale::ExportDiffers { file: lock_path });
    }
    Ok(stale)
}

/// Newer cohorts reusing gen_ids this cohort registered first.
fn newer_sharing(conn: &Connection, stored: &Stored) -> Result<Vec<Stale>> {
    let mut stmt = conn
        .prepare(queries::STATUS_NEWER_SHARING)
        .db("status_newer_sharing")?;
    let rows = stmt
        .query_map([stored.record.cohort_no], |r| {
            Ok(Stale::SharedGenIds {
                cohort_id: r.get("cohort_id")?,
                shared: r.get::<_, i64>("shared")? as u64,
            })
        })
        .db("status_newer_sharing")?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .db("status_newer_sharing")
}

/// What an import of one catalog file would do now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CatalogState {
    /// Every row is imported.
    Current,
    /// An import would add rows.
    NewRows {
        /// How many.
        rows: u64,
    },
    /// An import would refuse the file (rows changed since their import, D9, or rows that
    /// do not validate).
    Refused {
        /// The importer's message.
        error: String,
        /// Its detail lines (each problem, hints).
        detail: Vec<String>,
    },
}

/// The status of one catalog file of the data layout. In JSON it also carries its `fix`
/// ([`CatalogStatus::fix`]) when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogStatus {
    /// The catalog kind (`concepts`, `llm-models`, …).
    pub kind: String,
    /// The file.
    pub path: PathBuf,
    /// What an import would do.
    pub state: CatalogState,
}

impl serde::Serialize for CatalogStatus {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            kind: &'a str,
            path: &'a Path,
            #[serde(flatten)]
            state: &'a CatalogState,
            #[serde(skip_serializing_if = "Option::is_none")]
            fix: Option<String>,
        }
        Doc {
            kind: &self.kind,
            path: &self.path,
            state: &self.state,
            fix: self.fix(),
        }
        .serialize(serializer)
    }
}

impl CatalogStatus {
    /// True when an import would change nothing.
    pub fn is_current(&self) -> bool {
        self.state == CatalogState::Current
    }

    /// How to fix it: `None` when current, and when refused (the importer's own hints, in
    /// `detail`, say how).
    pub fn fix(&self) -> Option<String> {
        match self.state {
            CatalogState::NewRows { .. } => Some("`cohortdb import`".to_string()),
            CatalogState::Current | CatalogState::Refused { .. } => None,
        }
    }
}

impl std::fmt::Display for CatalogStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "catalog {} ({}): ", self.kind, self.path.display())?;
        match &self.state {
            CatalogState::Current => write!(f, "ok"),
            CatalogState::NewRows { rows } => write!(
                f,
                "{} not yet imported",
                crate::textfmt::count(*rows, "row")
            ),
            CatalogState::Refused { error, .. } => write!(f, "an import would refuse it: {error}"),
        }
    }
}

/// What an import of each catalog file under `data_root` would do, found by importing them,
/// one file at a time, into a scratch copy of the store's catalogs (the importer's own reading,
/// validating and storing steps; the store at `db` is only read). Absent files are left out.
pub fn catalog_status(db: &Path, data_root: &Path) -> Result<Vec<CatalogStatus>> {
    let mut out = Vec::new();
    // One scratch store for all files: a refused file's import rolls back, as it would in the
    // store, and the next file sees the rows the earlier ones would add.
    let mut scratch = None;
    for kind in crate::catalog::CatalogKind::ALL {
        let path = kind.layout_path(data_root);
        if !path.exists() {
            continue;
        }
        if scratch.is_none() {
            scratch = Some(scratch::with_catalogs_of(db)?);
        }
        let Some(scratch) = scratch.as_mut() else {
            continue;
        };
        let state = match crate::catalog::import::import_file(
            scratch,
            kind,
            &path,
            &crate::catalog::import::NoProgress,
        ) {
            Ok(report) if report.added() == 0 => CatalogState::Current,
            Ok(report) => CatalogState::NewRows {
                rows: report.added(),
            },
            Err(e) => CatalogState::Refused {
                error: e.to_string(),
                // The importer's closing line is about its own transaction, not this check.
                detail: e
                    .detail()
                    .iter()
                    .filter(|line| line.as_str() != "nothing was imported")
                    .cloned()
                    .chain(e.hints().into_iter().map(|h| format!("hint: {h}")))
                    .collect(),
            },
        };
        out.push(CatalogStatus {
            kind: kind.name().to_string(),
            path,
            state,
        });
    }
    Ok(out)
}

/// What `status` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusReport {
    /// True when every cohort and catalog checked is current.
    pub current: bool,
    /// One entry per cohort checked, by id.
    pub cohorts: Vec<CohortStatus>,
    /// The catalog files of the data layout (checked when no cohort id is given).
    pub catalogs: Vec<CatalogStatus>,
}

impl StatusReport {
    /// True when every cohort checked is current.
    pub fn is_current(&self) -> bool {
        self.current
    }
}

/// Checks the cohorts `ids`; or, when `ids` is empty, every stored cohort and the catalog
/// files (`db` is the store's file, copied from for the catalog check).
pub fn status(
    conn: &Connection,
    db: &Path,
    ids: &[CohortId],
    options: &StatusOptions,
) -> Result<StatusReport> {
    let catalogs = if ids.is_empty() {
        catalog_status(db, &options.data_root)?
    } else {
        Vec::new()
    };
    // Every cohort is checked against one snapshot of the store.
    let _snapshot = crate::store::read_snapshot(conn)?;
    let ids: Vec<CohortId> = if ids.is_empty() {
        crate::record::list(conn)?
            .into_iter()
            .map(|s| CohortId::parse(&s.cohort_id))
            .collect::<Result<_>>()?
    } else {
        ids.to_vec()
    };
    let cohorts: Vec<CohortStatus> = ids
        .iter()
        .map(|id| cohort_status(conn, id, options))
        .collect::<Result<_>>()?;
    Ok(StatusReport {
        current: cohorts.iter().all(CohortStatus::is_current)
            && catalogs.iter().all(CatalogStatus::is_current),
        cohorts,
        catalogs,
    })
}
