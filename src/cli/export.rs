//! `cohortdb export COHORT_ID`: write membership.csv, manifest.json, spec/ and cohort.lock.json
//! from the stored record, and seed gens/<stage>/<gen_id>/metadata.json.

use super::ExitCode;
use std::path::PathBuf;

use crate::app::ExportRequest;
use crate::app::reports::ExportReport;
use crate::export::FileOutcome;
use clap::Args;

use super::Session;
use super::render::{FormatArgs, TextOut, say};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The cohort id.
    #[arg(value_name = "COHORT_ID")]
    cohort_id: String,
    /// The cohort folder to write; default <data-root>/cohorts/<COHORT_ID>.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Where metadata.json files go; default <data-root>/gens.
    #[arg(long, value_name = "DIR")]
    gens_root: Option<PathBuf>,
    /// Replace membership.csv, manifest.json and cohort.lock.json when they differ (spec files
    /// and metadata files are never replaced).
    #[arg(long)]
    force: bool,
    /// Rewrite a member's metadata.json that is not valid JSON from the record, showing what it
    /// replaces (a valid file that disagrees is still refused).
    #[arg(long)]
    repair: bool,
    #[command(flatten)]
    format: FormatArgs,
}

fn print(out: &mut TextOut, cohort_id: &str, report: &ExportReport) -> std::io::Result<()> {
    say!(
        out,
        "cohort {cohort_id} exported to {}",
        crate::textfmt::visible(&report.out.display().to_string())
    )?;
    for (name, outcome) in &report.files {
        let what = match outcome {
            FileOutcome::Written => "written",
            FileOutcome::Unchanged => "unchanged (identical)",
            FileOutcome::Replaced => "replaced (--force)",
        };
        say!(out, "  {name:<18} {what}")?;
    }
    say!(
        out,
        "  {:<18} {} written, {} left alone",
        "spec/",
        report.spec_written,
        report.spec_unchanged
    )?;
    for repair in &report.repaired {
        say!(
            out,
            "  repaired           {} ({}); it held: {:?}",
            crate::textfmt::visible(&repair.path.display().to_string()),
            crate::textfmt::visible(&repair.reason),
            repair.replaced
        )?;
    }
    say!(
        out,
        "  {:<18} {} written, {} already present ({})",
        "metadata.json",
        report.metadata_written,
        report.metadata_present,
        crate::textfmt::visible(&report.gens_root.display().to_string())
    )
}

pub fn run(s: &Session, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let request = ExportRequest {
        cohort_id: args.cohort_id,
        out: args.out,
        gens_root: args.gens_root,
        force: args.force,
        repair: args.repair,
    };
    let report = s.workspace().export(&request, s.ctx())?;
    if !args.format.is_json() {
        // In JSON the notes are part of the document.
        for note in &report.notes {
            s.warn(&note.to_string());
        }
    }
    args.format
        .emit(&report, |out, r| print(out, &request.cohort_id, r))?;
    Ok(ExitCode::SUCCESS)
}
