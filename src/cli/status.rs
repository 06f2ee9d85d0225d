//! `cohortdb status [COHORT_ID…]`: what is stale — one line per cohort that is current, one
//! line per thing that is not (the spec folder, the export, newer cohorts sharing gen_ids).
//! Exit 0 when everything is current, 1 when anything is stale, 2 on error.

use super::ExitCode;

use crate::app::StatusRequest;
use crate::status::{CatalogState, Stale, StatusReport};
use crate::textfmt::decision_links;
use clap::Args;

use super::Session;
use super::render::{FormatArgs, TextOut, say, verdict};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The cohorts to check; default every stored cohort and the catalog files.
    #[arg(value_name = "COHORT_ID")]
    cohort_ids: Vec<String>,
    /// List, per stage, the members without parsed.txt in the results ledger.
    #[arg(long)]
    missing: bool,
    #[command(flatten)]
    format: FormatArgs,
}

fn print(out: &mut TextOut, report: &StatusReport) -> std::io::Result<()> {
    if !report.catalogs.is_empty() && report.catalogs.iter().all(|c| c.is_current()) {
        say!(out, "catalogs: ok")?;
    }
    for catalog in report.catalogs.iter().filter(|c| !c.is_current()) {
        say!(out, "{catalog}")?;
        if let CatalogState::Refused { detail, .. } = &catalog.state {
            for line in detail {
                say!(out, "    {}", decision_links(line))?;
            }
        }
        if let Some(fix) = catalog.fix() {
            say!(out, "    fix: {fix}")?;
        }
    }
    if report.cohorts.is_empty() {
        return say!(out, "no cohorts stored yet (cohortdb build COHORT_ID)");
    }
    for cohort in &report.cohorts {
        if cohort.is_current() {
            say!(out, "{}: ok", cohort.cohort_id)?;
        }
        for stale in &cohort.stale {
            let note = if stale.is_note() { "note: " } else { "" };
            say!(out, "{}: {note}{stale}", cohort.cohort_id)?;
            if let Stale::SpecChanged { changes, .. } = stale {
                for change in changes {
                    say!(out, "    {change}")?;
                }
            }
            if let Some(fix) = stale.fix(&cohort.cohort_id) {
                say!(out, "    fix: {fix}")?;
            }
        }
        if let Some(progress) = &cohort.progress {
            super::results::print_progress(out, progress)?;
        }
    }
    Ok(())
}

pub fn run(s: &Session, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let request = StatusRequest {
        cohort_ids: args.cohort_ids,
        missing: args.missing,
    };
    let report = s.workspace().status(&request, s.ctx())?;
    args.format.emit(&report, print)?;
    Ok(verdict(report.is_current()))
}
