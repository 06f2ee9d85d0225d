//! `push` and `pull`: cohorts, with the catalog rows and registry entries they need, copied
//! between this workspace's store and another, SQLite or PostgreSQL in either direction
//! (`crate::team::copy`, docs/postgres.md "Moving cohorts between stores").

use std::path::Path;

use super::reports::CopyReport;
use super::{Context, Workspace};
use crate::error::Result;
use crate::ids::CohortId;
use crate::team::copy::Endpoint;

/// `push COHORT… --to DB` / `pull COHORT… --from DB`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyRequest {
    /// The cohorts to copy (at least one).
    pub cohort_ids: Vec<String>,
    /// The other store: an SQLite path (created when a push targets it and it is missing) or
    /// a `postgres://` URL.
    pub other: String,
}

impl Workspace {
    /// `push`: copies the cohorts from this store to `request.other`.
    pub fn push(&self, request: &CopyRequest, ctx: Context<'_>) -> Result<CopyReport> {
        let this = self.endpoint()?;
        let other = Endpoint::parse(&request.other)?;
        copy(&this, &other, &request.cohort_ids, ctx)
    }

    /// `pull`: copies the cohorts from `request.other` into this store (created when missing).
    pub fn pull(&self, request: &CopyRequest, ctx: Context<'_>) -> Result<CopyReport> {
        let this = self.endpoint()?;
        let other = Endpoint::parse(&request.other)?;
        copy(&other, &this, &request.cohort_ids, ctx)
    }

    fn endpoint(&self) -> Result<Endpoint> {
        Ok(match self.team_url()? {
            Some(url) => Endpoint::Team(url),
            None => Endpoint::Sqlite(self.store_path().to_path_buf()),
        })
    }
}

/// Copies; a target SQLite file this copy created is removed again when it fails (as a refused
/// first command leaves no store behind).
fn copy(from: &Endpoint, to: &Endpoint, ids: &[String], ctx: Context<'_>) -> Result<CopyReport> {
    let ids = ids
        .iter()
        .map(|id| CohortId::parse(id))
        .collect::<Result<Vec<_>>>()?;
    if ids.is_empty() {
        return Err(crate::UsageError::NoCohorts.into());
    }
    ctx.cancel.check()?;
    let created = match to {
        Endpoint::Sqlite(path) if !path.exists() => Some(path.as_path()),
        _ => None,
    };
    let task = format!(
        "copying {} from {} to {}",
        crate::textfmt::count(ids.len() as u64, "cohort"),
        from.shown(),
        to.shown()
    );
    ctx.start(&task, None, super::Unit::Steps);
    let result = crate::team::copy::copy(from, to, &ids);
    ctx.finish(&task);
    if let (Err(_), Some(path)) = (&result, created) {
        super::remove_store_files(Path::new(path));
    }
    let report = result.map_err(|e| ctx.cancel.explain(e))?;
    Ok(CopyReport {
        from: from.shown(),
        to: to.shown(),
        copied: report.copied,
        present: report.present,
        catalog_rows: report.catalog_rows,
    })
}
