//! The results ledger's commands: `import gens`, `scores`, `results verify` and a cohort's
//! progress (docs/cli.md; docs/storage.md, "The results ledger"; D25).
//!
//! The defaults live here once: the gens root is `<data-root>/gens` unless named, a cohort's
//! reports go under `<data-root>/cohorts/<id>/reports/`, and an unnamed gens root under a data
//! root that does not exist is refused (a mistyped `--data-root` must not be imported as an
//! empty tree).

use std::path::PathBuf;

use super::context::Unit;
use super::reports::{ImportGensReport, ProgressReport, ResultsVerifyReport, ScoresReport};
use super::{Context, Event, Workspace};
use crate::error::Result;
use crate::results::{self, EvaluationRow};

/// `import gens`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportGensRequest {
    /// The gens root; default `<data-root>/gens`.
    pub gens_root: Option<PathBuf>,
}

/// `scores COHORT_ID`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScoresRequest {
    /// The cohort: a stored one, or one that exists only as `cohorts/<id>/membership.csv`.
    pub cohort_id: String,
    /// The gens root that was imported; default `<data-root>/gens`.
    pub gens_root: Option<PathBuf>,
}

/// `results progress COHORT_ID` (and the progress part of `status COHORT_ID`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgressRequest {
    /// The stored cohort.
    pub cohort_id: String,
    /// List the members without `parsed.txt`.
    pub missing: bool,
}

impl Workspace {
    fn gens_root_of(&self, named: &Option<PathBuf>) -> Result<PathBuf> {
        match named {
            Some(root) => Ok(root.clone()),
            None => {
                self.require_data_root("results")?;
                Ok(self.layout().gens())
            }
        }
    }

    fn scores_request(&self, request: &ScoresRequest) -> Result<results::ScoresRequest> {
        let cohort = Workspace::cohort_id(&request.cohort_id)?;
        let gens_root = self.gens_root_of(&request.gens_root)?;
        self.require_data_root("results")?;
        Ok(results::ScoresRequest {
            cohort,
            data_root: self.data_root().to_path_buf(),
            gens_root,
        })
    }

    /// `import gens`: records what every `gens/<stage>/<gen_id>/` holds, append-only, in one
    /// transaction; reads only files whose size and stat changed (docs/cli.md `import gens`).
    /// On a team store the import is staged in the mirror and published (D28).
    pub fn import_gens(
        &self,
        request: &ImportGensRequest,
        ctx: Context<'_>,
    ) -> Result<ImportGensReport> {
        let root = self.gens_root_of(&request.gens_root)?;
        let task = format!("importing {}", root.display());
        ctx.start(&task, None, Unit::Files);
        let tick = |seen: u64| {
            ctx.events.event(&Event::Progress {
                task: task.clone(),
                done: seen,
                total: None,
            });
            ctx.cancel.check()
        };
        let report = match self.team_url()? {
            Some(url) => {
                super::team::import_gens(&url, &root, &tick, &|conn| ctx.cancel.watch(conn))
                    .map_err(|e| ctx.cancel.explain(e))?
            }
            None => self.writer(ctx, |store| results::import_gens(store, &root, &tick))?,
        };
        ctx.finish(&task);
        Ok(report)
    }

    /// `scores COHORT_ID`: writes the reference's results files under
    /// `<data-root>/cohorts/<id>/reports/`, or nothing when the reference would abort (D25).
    pub fn scores(&self, request: &ScoresRequest, ctx: Context<'_>) -> Result<ScoresReport> {
        let req = self.scores_request(request)?;
        let store = self.reader(ctx)?;
        let task = format!("scores of {}", req.cohort);
        ctx.start(&task, None, Unit::Steps);
        let report = results::scores(store.conn(), &req).map_err(|e| ctx.cancel.explain(e))?;
        ctx.finish(&task);
        Ok(report)
    }

    /// The rows `scores` writes (the reference's normalised table), streamed through `row` in
    /// membership order without writing a file; refused before the first row where the
    /// reference aborts (D25). Returns how many rows there were.
    pub fn score_rows(
        &self,
        request: &ScoresRequest,
        ctx: Context<'_>,
        mut row: impl FnMut(&EvaluationRow) -> Result<()>,
    ) -> Result<u64> {
        let req = self.scores_request(request)?;
        let store = self.reader(ctx)?;
        results::score_rows(store.conn(), &req, |r| {
            ctx.cancel.check()?;
            row(r)
        })
        .map_err(|e| ctx.cancel.explain(e))
    }

    /// `results progress COHORT_ID`: per stage, the members with prompt / raw / parsed outputs
    /// in the ledger, and with `missing` the gen_ids without `parsed.txt`.
    pub fn progress(&self, request: &ProgressRequest, ctx: Context<'_>) -> Result<ProgressReport> {
        let id = self.require_cohort(&request.cohort_id, ctx)?;
        let store = self.reader(ctx)?;
        results::progress(store.conn(), &id, request.missing).map_err(|e| ctx.cancel.explain(e))
    }

    /// `results verify`: re-hashes every output file the ledger's current versions hold and
    /// lists each that changed or vanished since it was imported.
    pub fn results_verify(&self, ctx: Context<'_>) -> Result<ResultsVerifyReport> {
        let store = self.reader(ctx)?;
        let task = "re-hashing the imported outputs".to_string();
        ctx.start(&task, None, Unit::Files);
        let report = results::verify(store.conn(), &|checked| {
            ctx.events.event(&Event::Progress {
                task: task.clone(),
                done: checked,
                total: None,
            });
            ctx.cancel.check()
        })
        .map_err(|e| ctx.cancel.explain(e))?;
        ctx.finish(&task);
        Ok(report)
    }
}
