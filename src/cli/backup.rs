//! `cohortdb backup DEST`: a consistent, self-contained copy of the store (see
//! `docs/storage.md`), safe while other processes read or write it.

use super::ExitCode;
use std::path::PathBuf;

use clap::Args;

use super::Session;
use super::render::{FormatArgs, say};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write (refused when it exists).
    #[arg(value_name = "DEST")]
    dest: PathBuf,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(s: &Session, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let report = s.workspace().backup(&args.dest, s.ctx())?;
    args.format.emit(&report, |out, r| {
        say!(
            out,
            "backup: {} ({} bytes, schema version {}, {})",
            r.dest.display(),
            r.bytes,
            r.schema_version,
            crate::textfmt::count(r.cohorts, "cohort")
        )
    })?;
    Ok(ExitCode::SUCCESS)
}
