//! `cohortdb verify COHORT_ID | --all`: recompute from the stored spec and catalogs, check the
//! export folder; exit 1 when anything differs.

use super::ExitCode;
use std::path::PathBuf;

use crate::app::reports::CohortVerification;
use crate::app::{VerifyReport, VerifyRequest, VerifyTarget};
use crate::verify::Severity;
use clap::Args;

use super::Session;
use super::render::{FormatArgs, TextOut, say};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The cohort id (or --all).
    #[arg(
        value_name = "COHORT_ID",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    cohort_id: Option<String>,
    /// Verify every stored cohort, going on past failures.
    #[arg(long)]
    all: bool,
    /// The export folder to check; default <data-root>/cohorts/<COHORT_ID>.
    #[arg(long, value_name = "DIR", conflicts_with = "all")]
    dir: Option<PathBuf>,
    /// Where metadata.json files are; default <data-root>/gens.
    #[arg(long, value_name = "DIR")]
    gens_root: Option<PathBuf>,
    /// Check only the store (recompute the content hash), not the export folder.
    #[arg(long)]
    store_only: bool,
    #[command(flatten)]
    format: FormatArgs,
}

fn print_cohort(out: &mut TextOut, report: &CohortVerification) -> std::io::Result<()> {
    say!(out, "cohort {}", report.cohort_id)?;
    for finding in &report.findings {
        let label = match finding.severity {
            Severity::Ok => "ok",
            Severity::Note => "note",
            Severity::Difference => "DIFFERS",
        };
        say!(out, "  {label:<9} {}", finding.text)?;
        for line in &finding.detail {
            say!(out, "  {label:<9}   {line}")?;
        }
    }
    say!(
        out,
        "  result: {}",
        if report.matches { "ok" } else { "DIFFERS" }
    )
}

fn print(out: &mut TextOut, report: &VerifyReport, all: bool) -> std::io::Result<()> {
    for cohort in &report.cohorts {
        print_cohort(out, cohort)?;
    }
    for failure in &report.errors {
        say!(
            out,
            "cohort {}\n  ERROR     {}",
            failure.cohort_id,
            failure.error
        )?;
    }
    if all {
        let total = report.cohorts.len() + report.errors.len();
        let differ = report.cohorts.iter().filter(|c| !c.matches).count();
        say!(
            out,
            "{}: {} ok, {differ} differ, {} failed",
            crate::textfmt::count(total as u64, "cohort"),
            total - differ - report.errors.len(),
            report.errors.len()
        )?;
    }
    Ok(())
}

pub fn run(s: &Session, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let request = VerifyRequest {
        target: match args.cohort_id {
            Some(id) => VerifyTarget::One(id),
            None => VerifyTarget::All,
        },
        dir: args.dir,
        gens_root: args.gens_root,
        store_only: args.store_only,
    };
    let report = s.workspace().verify(&request, s.ctx())?;
    args.format
        .emit(&report, |out, r| print(out, r, args.all))?;
    if !report.errors.is_empty() {
        return Err(crate::Error::from(crate::UsageError::VerifyAllFailed {
            count: report.errors.len(),
        })
        .into());
    }
    Ok(super::render::verdict(report.matches))
}
