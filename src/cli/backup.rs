//! `cohortdb backup DEST`: a consistent, self-contained copy of the store (see
//! `docs/storage.md`), safe while other processes read or write it.

use super::ExitCode;
use std::io::Write;
use std::path::PathBuf;

use crate::app::BackupReport;
use clap::Args;

use super::Session;
use super::render::{FormatArgs, say};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write (refused when it exists); `-` writes the backup to stdout.
    #[arg(value_name = "DEST")]
    dest: PathBuf,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(s: &Session, args: BackupArgs) -> anyhow::Result<ExitCode> {
    if crate::fsutil::is_stdio(&args.dest) {
        return to_stdout(s, &args);
    }
    let report = s.workspace().backup(&args.dest, s.ctx())?;
    args.format
        .emit(&report, |out, r| say!(out, "{}", line(r)))?;
    Ok(ExitCode::SUCCESS)
}

fn line(r: &BackupReport) -> String {
    format!(
        "backup: {} ({} bytes, schema version {}, {})",
        r.dest.display(),
        r.bytes,
        r.schema_version,
        crate::textfmt::count(r.cohorts, "cohort")
    )
}

/// `backup -`: the backup is made (and checked) in a private folder, then its bytes go to
/// stdout and the report line to stderr (unless `-q`); `--format json` has no stream left.
fn to_stdout(s: &Session, args: &BackupArgs) -> anyhow::Result<ExitCode> {
    if args.format.is_json() {
        return Err(crate::Error::from(crate::UsageError::BackupJsonToStdout).into());
    }
    let dir = tempfile::tempdir().map_err(|e| crate::Error::io("a temporary folder", e))?;
    let file = dir.path().join("backup.db");
    let mut report = s.workspace().backup(&file, s.ctx())?;
    let mut bytes = std::fs::File::open(&file).map_err(|e| crate::Error::io(file.as_path(), e))?;
    let mut stdout = std::io::stdout().lock();
    std::io::copy(&mut bytes, &mut stdout)
        .and_then(|_| stdout.flush())
        .map_err(|e| crate::Error::io("stdout", e))?;
    report.dest = PathBuf::from("-");
    s.warn_line(&line(&report));
    Ok(ExitCode::SUCCESS)
}
