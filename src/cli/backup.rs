//! `cohortdb backup DEST`: a consistent, self-contained copy of the store (see
//! `docs/storage.md`), safe while other processes read or write it.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use cohortdb::Store;

use super::Global;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write (refused when it exists).
    #[arg(value_name = "DEST")]
    dest: PathBuf,
}

pub fn run(global: &Global, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open_read_only(&global.db)?;
    let report = cohortdb::store::backup::backup(&store, &args.dest)?;
    let mut out = super::out::stdout();
    writeln!(
        out,
        "backup: {} ({} bytes, schema version {}, {})",
        report.dest.display(),
        report.bytes,
        report.schema_version,
        cohortdb::textfmt::count(report.cohorts, "cohort")
    )?;
    Ok(ExitCode::SUCCESS)
}
