//! `cohortdb push COHORT… --to DB` and `cohortdb pull COHORT… --from DB`: copy cohorts, with
//! the catalog rows and registry entries they need, between two stores of either engine
//! (`cohortdb::team::copy`, docs/postgres.md). Interim wiring until `src/app/` takes it over.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use cohortdb::ids::CohortId;
use cohortdb::team::copy::{CopyReport, Endpoint, copy};

use super::Global;
use super::render::{FormatArgs, print_json};

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

fn ids(cohorts: &[String]) -> anyhow::Result<Vec<CohortId>> {
    Ok(cohorts
        .iter()
        .map(|c| CohortId::parse(c))
        .collect::<cohortdb::Result<_>>()?)
}

fn db(global: &Global) -> anyhow::Result<Endpoint> {
    Ok(Endpoint::parse(&global.db.to_string_lossy())?)
}

pub fn push(global: &Global, args: PushArgs) -> anyhow::Result<ExitCode> {
    let ids = ids(&args.cohorts)?;
    let report = copy(&db(global)?, &Endpoint::parse(&args.to)?, &ids)?;
    show("push", &report, &args.format)
}

pub fn pull(global: &Global, args: PullArgs) -> anyhow::Result<ExitCode> {
    let ids = ids(&args.cohorts)?;
    let report = copy(&Endpoint::parse(&args.from)?, &db(global)?, &ids)?;
    show("pull", &report, &args.format)
}

fn show(verb: &str, report: &CopyReport, format: &FormatArgs) -> anyhow::Result<ExitCode> {
    if format.is_json() {
        print_json(report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = super::out::stdout();
    for id in &report.copied {
        writeln!(out, "{verb}: {id} copied (re-hashed on arrival)")?;
    }
    for id in &report.present {
        writeln!(out, "{verb}: {id} already there with the same content hash")?;
    }
    writeln!(
        out,
        "{verb}: {} cohort(s) copied, {} already there, {} catalog row(s) carried",
        report.copied.len(),
        report.present.len(),
        report.catalog_rows
    )?;
    Ok(ExitCode::SUCCESS)
}
