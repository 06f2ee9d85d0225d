//! `cohortdb status [COHORT_ID…]`: what is stale — one line per cohort that is current, one
//! line per thing that is not (the spec folder, the export, newer cohorts sharing gen_ids).
//! Exit 0 when everything is current, 1 when anything is stale, 2 on error.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use cohortdb::Store;
use cohortdb::ids::CohortId;
use cohortdb::status::{self, CatalogState, Stale, StatusOptions, StatusReport};

use super::Global;
use super::render::{FormatArgs, verdict};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The cohorts to check; default every stored cohort and the catalog files.
    #[arg(value_name = "COHORT_ID")]
    cohort_ids: Vec<String>,
    #[command(flatten)]
    format: FormatArgs,
}

fn print(out: &mut impl Write, report: &StatusReport) -> std::io::Result<()> {
    if !report.catalogs.is_empty() && report.catalogs.iter().all(|c| c.is_current()) {
        writeln!(out, "catalogs: ok")?;
    }
    for catalog in report.catalogs.iter().filter(|c| !c.is_current()) {
        writeln!(out, "{catalog}")?;
        if let CatalogState::Refused { detail, .. } = &catalog.state {
            for line in detail {
                writeln!(out, "    {line}")?;
            }
        }
    }
    if report.cohorts.is_empty() {
        return writeln!(out, "no cohorts stored yet (cohortdb build COHORT_ID)");
    }
    for cohort in &report.cohorts {
        if cohort.is_current() {
            writeln!(out, "{}: ok", cohort.cohort_id)?;
        }
        for stale in &cohort.stale {
            let note = if stale.is_note() { "note: " } else { "" };
            writeln!(out, "{}: {note}{stale}", cohort.cohort_id)?;
            if let Stale::SpecChanged { changes, .. } = stale {
                for change in changes {
                    writeln!(out, "    {change}")?;
                }
            }
        }
    }
    Ok(())
}

pub fn run(global: &Global, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let ids = args
        .cohort_ids
        .iter()
        .map(|id| CohortId::parse(id))
        .collect::<Result<Vec<_>, _>>()?;
    let store = Store::open_read_only(&global.db)?;
    let options = StatusOptions {
        data_root: global.data_root.clone(),
    };
    let report = status::status(store.conn(), &global.db, &ids, &options)?;
    args.format.emit(&report, print)?;
    Ok(verdict(report.is_current()))
}
