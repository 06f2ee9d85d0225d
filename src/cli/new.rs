//! `cohortdb new COHORT_ID [--from COHORT_ID]`: a new cohort's spec folder.

use super::ExitCode;

use crate::app::NewRequest;
use clap::Args;

use super::Session;
use super::render::{FormatArgs, say};

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The new cohort's id; its spec goes to <data-root>/cohorts/<id>/spec/.
    #[arg(value_name = "COHORT_ID")]
    cohort_id: String,
    /// Copy the spec files of this stored cohort instead of writing a starter spec.
    #[arg(long, value_name = "COHORT_ID")]
    from: Option<String>,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(s: &Session, args: NewArgs) -> anyhow::Result<ExitCode> {
    let request = NewRequest {
        cohort_id: args.cohort_id,
        from: args.from,
    };
    let report = s.workspace().new_spec(&request, s.ctx())?;
    args.format.emit(&report, |out, r| {
        for file in &r.files {
            say!(out, "wrote {file}")?;
        }
        say!(
            out,
            "next: edit {}, then `cohortdb build {}`",
            r.spec_dir,
            r.cohort_id
        )
    })?;
    Ok(ExitCode::SUCCESS)
}
