//! `cohortdb push COHORT… --to DB` and `cohortdb pull COHORT… --from DB`: copy cohorts, with
//! the catalog rows and registry entries they need, between two stores of either engine
//! (`app::Workspace::push`/`pull`, docs/postgres.md).

use super::ExitCode;

use crate::app::CopyRequest;
use crate::app::reports::CopyReport;
use clap::Args;

use super::Session;
use super::render::{FormatArgs, say};

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The cohorts to copy.
    #[arg(required = true, value_name = "COHORT")]
    cohorts: Vec<String>,
    /// The store to copy them to: an SQLite path (created when missing) or a postgres:// URL.
    #[arg(long, value_name = "DB")]
    to: String,
    #[command(flatten)]
    format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// The cohorts to copy.
    #[arg(required = true, value_name = "COHORT")]
    cohorts: Vec<String>,
    /// The store to copy them from: an SQLite path or a postgres:// URL.
    #[arg(long, value_name = "DB")]
    from: String,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn push(s: &Session, args: PushArgs) -> anyhow::Result<ExitCode> {
    let request = CopyRequest {
        cohort_ids: args.cohorts,
        other: args.to,
    };
    let report = s.workspace().push(&request, s.ctx())?;
    show("push", &report, &args.format)
}

pub fn pull(s: &Session, args: PullArgs) -> anyhow::Result<ExitCode> {
    let request = CopyRequest {
        cohort_ids: args.cohorts,
        other: args.from,
    };
    let report = s.workspace().pull(&request, s.ctx())?;
    show("pull", &report, &args.format)
}

fn show(verb: &str, report: &CopyReport, format: &FormatArgs) -> anyhow::Result<ExitCode> {
    format.emit(report, |out, r| {
        for id in &r.copied {
            say!(out, "{verb}: {id} copied (re-hashed on arrival)")?;
        }
        for id in &r.present {
            say!(out, "{verb}: {id} already there with the same content hash")?;
        }
        say!(
            out,
            "{verb}: {} copied, {} already there, {} carried ({} -> {})",
            crate::textfmt::count(r.copied.len() as u64, "cohort"),
            r.present.len(),
            crate::textfmt::count(r.catalog_rows, "catalog row"),
            r.from,
            r.to
        )
    })?;
    Ok(ExitCode::SUCCESS)
}
