//! `cohortdb export COHORT_ID`: write membership.csv, manifest.json, spec/ and cohort.lock.json
//! from the stored record, and seed gens/<stage>/<gen_id>/metadata.json.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use cohortdb::Store;
use cohortdb::export::{self, ExportOptions, FileOutcome};
use cohortdb::ids::CohortId;

use super::Global;
use super::render::{FormatArgs, MetadataBar, print_json, warn};

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
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(global: &Global, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let id = CohortId::parse(&args.cohort_id)?;
    let options = ExportOptions {
        out: args
            .out
            .unwrap_or_else(|| global.data_root.join("cohorts").join(id.as_str())),
        gens_root: args
            .gens_root
            .unwrap_or_else(|| global.data_root.join("gens")),
        force: args.force,
    };
    let store = Store::open_read_only(&global.db)?;
    let progress = MetadataBar::new(global, id.as_str());
    let report = export::export(store.conn(), &id, &options, &progress)?;
    drop(progress);
    if args.format.is_json() {
        // The notes are part of the document, not warnings.
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    for note in &report.notes {
        warn(global, &note.to_string());
    }
    let mut out = super::out::stdout();
    writeln!(out, "cohort {} exported to {}", id, report.out.display())?;
    for (name, outcome) in &report.files {
        let what = match outcome {
            FileOutcome::Written => "written",
            FileOutcome::Unchanged => "unchanged (identical)",
            FileOutcome::Replaced => "replaced (--force)",
        };
        writeln!(out, "  {name:<18} {what}")?;
    }
    writeln!(
        out,
        "  {:<18} {} written, {} left alone",
        "spec/", report.spec_written, report.spec_unchanged
    )?;
    writeln!(
        out,
        "  {:<18} {} written, {} already present ({})",
        "metadata.json",
        report.metadata_written,
        report.metadata_present,
        report.gens_root.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
