//! `cohortdb build COHORT_ID`: compile, validate, derive the members with reference gen_ids,
//! and store the immutable record. Prints the counts and the content hash.

use super::ExitCode;
use std::path::PathBuf;

use crate::app::reports::BuildOutcome;
use crate::app::{BuildReport, BuildRequest};
use crate::seed::Seed;
use clap::Args;

use super::Session;
use super::render::{FormatArgs, TextOut, say};

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The cohort id (1–128 letters, digits, '.', '_', '-'); it names cohorts/<id>/.
    #[arg(value_name = "COHORT_ID")]
    cohort_id: String,
    /// The spec (file or folder); default <data-root>/cohorts/<COHORT_ID>/spec/config.yaml.
    #[arg(long, value_name = "PATH")]
    spec: Option<PathBuf>,
    /// Shuffle the design rows as the reference does (any integer, of any size); default: the
    /// spec's output.seed.
    #[arg(long, allow_negative_numbers = true, value_name = "INTEGER")]
    seed: Option<Seed>,
    /// Refuse specs whose product has more rows than this (checked before any work).
    #[arg(long, value_name = "N", default_value_t = crate::compile::DEFAULT_MAX_ROWS)]
    max_rows: u128,
    #[command(flatten)]
    format: FormatArgs,
}

fn print(out: &mut TextOut, report: &BuildReport) -> std::io::Result<()> {
    match report.status {
        BuildOutcome::Created => say!(out, "cohort {}: built", report.cohort_id)?,
        BuildOutcome::Unchanged => {
            say!(
                out,
                "cohort {}: unchanged (same content hash; nothing written)",
                report.cohort_id
            )?;
            if report.formatting_only {
                say!(
                    out,
                    "note: the spec files differ from the stored bundle only in formatting; the stored bundle is kept"
                )?;
            }
        }
    }
    say!(out, "  drafts        {}", report.counts.draft)?;
    say!(out, "  essays        {}", report.counts.essay)?;
    say!(out, "  evaluations   {}", report.counts.evaluation)?;
    say!(
        out,
        "  content hash  {}:{}",
        report.hash_scheme,
        report.content_hash
    )
}

pub fn run(s: &Session, args: BuildArgs) -> anyhow::Result<ExitCode> {
    let request = BuildRequest {
        cohort_id: args.cohort_id,
        spec: args.spec,
        seed: args.seed,
        max_rows: Some(args.max_rows),
    };
    let report = s.workspace().build(&request, s.ctx())?;
    args.format.emit(&report, print)?;
    Ok(ExitCode::SUCCESS)
}
