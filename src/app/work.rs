//! The commands that write or check: `import`, `build`, `export`, `verify`, `backup`.

use std::path::PathBuf;

use super::context::Unit;
use super::reports::{
    BackupReport, BuildReport, CohortVerification, ImportReport, VerifyFailure, VerifyReport,
};
use super::{Context, Workspace};
use crate::catalog::{self, CatalogKind};
use crate::cohort;
use crate::error::{Result, UsageError};
use crate::export::{self, ExportOptions, ExportReport};
use crate::ids::CohortId;
use crate::seed::Seed;
use crate::spec::{Plan, Spec};
use crate::verify::{self, VerifyOptions};

/// `import`: every catalog file of the data layout, or one file of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportRequest {
    /// One file and its kind (`import KIND FILE`); `None` imports the whole layout.
    pub file: Option<(String, PathBuf)>,
}

/// `build COHORT_ID`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildRequest {
    /// The cohort id (D11).
    pub cohort_id: String,
    /// The spec (a file or a folder); default `<data-root>/cohorts/<id>/spec/config.yaml`.
    pub spec: Option<PathBuf>,
    /// The shuffle seed; default the spec's `output.seed` (D8).
    pub seed: Option<Seed>,
    /// Refuse larger products before any work; default
    /// [`DEFAULT_MAX_ROWS`](crate::compile::DEFAULT_MAX_ROWS).
    pub max_rows: Option<u128>,
}

/// `export COHORT_ID`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportRequest {
    /// The cohort id.
    pub cohort_id: String,
    /// The cohort folder; default `<data-root>/cohorts/<id>`.
    pub out: Option<PathBuf>,
    /// The generations root; default `<data-root>/gens`.
    pub gens_root: Option<PathBuf>,
    /// Replace generated files that differ.
    pub force: bool,
    /// Rewrite a `metadata.json` that is not valid JSON from the record.
    pub repair: bool,
}

/// Which cohorts `verify` checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum VerifyTarget {
    /// One cohort: an error stops the command.
    One(String),
    /// Every stored cohort, going on past failures (they are listed in the report).
    #[default]
    All,
}

/// `verify COHORT_ID | --all`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyRequest {
    /// The cohorts.
    pub target: VerifyTarget,
    /// The export folder (one cohort only); default `<data-root>/cohorts/<id>`.
    pub dir: Option<PathBuf>,
    /// The generations root; default `<data-root>/gens`.
    pub gens_root: Option<PathBuf>,
    /// Check only the store.
    pub store_only: bool,
}

/// Loads and resolves a spec and refuses a product of more rows than `max_rows` (before any
/// work; `explain` shows the count). Any number of axes compiles (`compile`, "Wide products").
pub fn load_plan(path: &std::path::Path, max_rows: Option<u128>) -> Result<(Spec, Plan)> {
    let spec = crate::spec::load_path(path)?;
    let plan = crate::spec::resolve(&spec)?;
    if let Some(max_rows) = max_rows {
        let rows = plan.row_count();
        if rows > max_rows {
            return Err(UsageError::TooManyRows { rows, max_rows }.into());
        }
    }
    Ok((spec, plan))
}

/// Forwards a catalog import's byte counts and checks for a stop.
pub(super) struct ImportEvents<'a> {
    ctx: Context<'a>,
    task: std::cell::RefCell<Option<(String, u64, u64)>>,
}

impl<'a> ImportEvents<'a> {
    pub(super) fn new(ctx: Context<'a>) -> Self {
        ImportEvents {
            ctx,
            task: std::cell::RefCell::new(None),
        }
    }
}

impl catalog::Progress for ImportEvents<'_> {
    fn start(&self, label: &str, total_bytes: u64) {
        let task = format!("importing {label}");
        self.ctx.start(&task, Some(total_bytes), Unit::Bytes);
        *self.task.borrow_mut() = Some((task, 0, total_bytes));
    }

    fn advance(&self, bytes: u64) {
        if let Some((task, done, total)) = self.task.borrow_mut().as_mut() {
            *done += bytes;
            self.ctx.events.event(&super::Event::Progress {
                task: task.clone(),
                done: *done,
                total: Some(*total),
            });
        }
    }

    fn finish(&self) {
        if let Some((task, _, _)) = self.task.borrow_mut().take() {
            self.ctx.finish(&task);
        }
    }
}

/// Forwards export's file counts and checks for a stop.
struct ExportEvents<'a> {
    ctx: Context<'a>,
    task: String,
    state: std::sync::Mutex<(u64, Option<u64>)>,
}

impl export::ExportProgress for ExportEvents<'_> {
    fn start(&self, total: u64) {
        if let Ok(mut state) = self.state.lock() {
            *state = (0, Some(total));
        }
        self.ctx.start(&self.task, Some(total), Unit::Files);
    }

    fn advance(&self, n: u64) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.0 += n;
        self.ctx.events.event(&super::Event::Progress {
            task: self.task.clone(),
            done: state.0,
            total: state.1,
        });
    }

    fn cancelled(&self) -> bool {
        self.ctx.cancel.is_cancelled()
    }
}

impl Workspace {
    /// Refuses an import of the data layout that would find no catalog file at all (a missing
    /// or mistyped data root), before the store is opened or created.
    fn require_some_catalog(&self) -> Result<()> {
        let root = self.data_root();
        if CatalogKind::ALL
            .iter()
            .any(|k| k.layout_path(root).exists())
        {
            return Ok(());
        }
        Err(UsageError::NothingToImport {
            root: root.display().to_string(),
            is_dir: root.is_dir(),
            expected: CatalogKind::ALL
                .iter()
                .map(|k| k.layout_path(root).display().to_string())
                .collect(),
        }
        .into())
    }

    /// `import`: catalogs, append-only, in one transaction (docs/cli.md `import`).
    pub fn import(&self, request: &ImportRequest, ctx: Context<'_>) -> Result<ImportReport> {
        let events = ImportEvents::new(ctx);
        let report = match &request.file {
            Some((kind, file)) => {
                let Some(kind) = CatalogKind::parse(kind) else {
                    return Err(UsageError::UnknownCatalogKind {
                        kind: kind.clone(),
                        expected: CatalogKind::ALL
                            .iter()
                            .map(|k| k.name().to_string())
                            .collect(),
                    }
                    .into());
                };
                // `exists`, not `is_file`: a FIFO or device is refused by the import itself,
                // which says what it is (docs/reliability.md, "Pipes, special files and links").
                if !crate::fsutil::is_stdio(file) && !file.exists() {
                    return Err(UsageError::NoCatalogFile {
                        path: file.display().to_string(),
                    }
                    .into());
                }
                if let Some(url) = self.team_url()? {
                    let on = Some((kind, file.as_path()));
                    super::team::import(&url, on, self.data_root(), &events, ctx.cancel)
                        .map_err(|e| ctx.cancel.explain(e))?
                } else {
                    self.writer(ctx, |store| {
                        catalog::import_file(store, kind, file, &events)
                    })?
                }
            }
            None => {
                self.require_some_catalog()?;
                if let Some(url) = self.team_url()? {
                    super::team::import(&url, None, self.data_root(), &events, ctx.cancel)
                        .map_err(|e| ctx.cancel.explain(e))?
                } else {
                    self.writer(ctx, |store| {
                        catalog::import_all(store, self.data_root(), &events)
                    })?
                }
            }
        };
        Ok(report.into())
    }

    /// `build`: compile, validate, derive the members and store the immutable record
    /// (docs/cli.md `build`). The cohort id and the spec are checked before the store is opened.
    pub fn build(&self, request: &BuildRequest, ctx: Context<'_>) -> Result<BuildReport> {
        let id = Workspace::cohort_id(&request.cohort_id)?;
        let spec_path = request
            .spec
            .clone()
            .unwrap_or_else(|| self.layout().spec_config(id.as_str()));
        let max_rows = request.max_rows.unwrap_or(crate::compile::DEFAULT_MAX_ROWS);
        let (spec, plan) = load_plan(&spec_path, Some(max_rows))?;
        let seed = spec.effective_seed(request.seed.clone());
        let task = format!("building {id}");
        ctx.start(&task, None, Unit::Steps);
        let report = match self.team_url()? {
            Some(url) => super::team::build(&url, &id, &spec, &plan, seed.as_ref(), ctx.cancel)
                .map_err(|e| ctx.cancel.explain(e))?,
            None => self.writer(ctx, |store| {
                cohort::build_checked(store, &id, &spec, &plan, seed.as_ref(), &|| {
                    ctx.cancel.check()
                })
            })?,
        };
        ctx.finish(&task);
        Ok(report.into())
    }

    /// `export`: the canonical files of a stored cohort (docs/cli.md `export`).
    pub fn export(&self, request: &ExportRequest, ctx: Context<'_>) -> Result<ExportReport> {
        let id = Workspace::cohort_id(&request.cohort_id)?;
        if request.out.is_none() || request.gens_root.is_none() {
            self.require_data_root("export")?;
        }
        let options = ExportOptions {
            out: request
                .out
                .clone()
                .unwrap_or_else(|| self.layout().cohort(id.as_str())),
            gens_root: request
                .gens_root
                .clone()
                .unwrap_or_else(|| self.layout().gens()),
            force: request.force,
            repair: request.repair,
        };
        let store = self.reader(ctx)?;
        // The checks before the first write can take a while (every member's folder).
        let checking = format!("exporting {id}: checking");
        ctx.start(&checking, None, Unit::Steps);
        let events = ExportEvents {
            ctx,
            task: format!("exporting {id}: metadata.json"),
            state: std::sync::Mutex::new((0, None)),
        };
        let report = export::export(store.conn(), &id, &options, &events)
            .map_err(|e| ctx.cancel.explain(e))?;
        ctx.finish(&events.task);
        Ok(report)
    }

    /// `verify`: recompute stored cohorts and check their exported files (docs/cli.md
    /// `verify`). With [`VerifyTarget::All`] a cohort that cannot be checked is listed in the
    /// report's `errors` and the others are still checked.
    pub fn verify(&self, request: &VerifyRequest, ctx: Context<'_>) -> Result<VerifyReport> {
        let gens_root = request
            .gens_root
            .clone()
            .unwrap_or_else(|| self.layout().gens());
        let ids: Vec<CohortId> = match &request.target {
            VerifyTarget::One(id) => vec![Workspace::cohort_id(id)?],
            VerifyTarget::All => {
                if request.dir.is_some() {
                    return Err(UsageError::DirWithAll.into());
                }
                let store = self.reader(ctx)?;
                crate::record::list(store.conn())?
                    .into_iter()
                    .map(|s| CohortId::parse(&s.cohort_id))
                    .collect::<Result<_>>()?
            }
        };
        // A mistyped --data-root must not read as "not exported" (docs/cli.md `verify`).
        let defaults_used = request.dir.is_none() || request.gens_root.is_none();
        if !request.store_only && defaults_used {
            self.require_data_root("verify")?;
        }
        // Recomputing needs scratch tables, so the store opens read-write; nothing is committed.
        let store = self.scratch(ctx)?;
        let mut report = VerifyReport {
            matches: true,
            cohorts: Vec::new(),
            errors: Vec::new(),
        };
        for id in &ids {
            ctx.cancel.check()?;
            let options = VerifyOptions {
                dir: request
                    .dir
                    .clone()
                    .unwrap_or_else(|| self.layout().cohort(id.as_str())),
                gens_root: gens_root.clone(),
                store_only: request.store_only,
                dir_named: request.dir.is_some(),
                gens_root_named: request.gens_root.is_some(),
            };
            let task = format!("verifying {id}");
            ctx.start(&task, None, Unit::Steps);
            let result = verify::verify(store.conn(), id, &options);
            ctx.finish(&task);
            match result.map_err(|e| ctx.cancel.explain(e)) {
                Ok(one) => {
                    let one = CohortVerification::from(one);
                    report.matches &= one.matches;
                    report.cohorts.push(one);
                }
                Err(crate::Error::Interrupted) => return Err(crate::Error::Interrupted),
                Err(e) if request.target == VerifyTarget::All => {
                    report.matches = false;
                    report.errors.push(VerifyFailure {
                        cohort_id: id.to_string(),
                        error: e.to_string(),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// `backup DEST`: a consistent, self-contained copy of the store.
    pub fn backup(&self, dest: &std::path::Path, ctx: Context<'_>) -> Result<BackupReport> {
        let store = self.reader(ctx)?;
        Ok(crate::store::backup::backup(&store, dest)?.into())
    }
}
