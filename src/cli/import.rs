//! `cohortdb import [KIND FILE]`: append-only catalog import; prints what each file added.

use super::ExitCode;
use std::path::PathBuf;

use crate::app::{ImportReport, ImportRequest};
use clap::Args;

use super::Session;
use super::render::{FormatArgs, TextOut, say};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The catalog kind: concepts, draft-templates, essay-templates, evaluation-templates,
    /// llm-models, combo-mappings or replication; or `gens` (no FILE) to record the outputs
    /// under the gens root in the results ledger. Without KIND and FILE, every catalog file of
    /// the data layout is imported.
    #[arg(value_name = "KIND")]
    kind: Option<String>,
    /// The CSV file (bodies and descriptions are read from folders next to it).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    /// With `import gens`: the gens root; default <data-root>/gens.
    #[arg(long, value_name = "DIR")]
    gens_root: Option<PathBuf>,
    #[command(flatten)]
    format: FormatArgs,
}

pub(super) fn print(out: &mut TextOut, report: &ImportReport) -> std::io::Result<()> {
    for file in &report.files {
        let label = ImportReport::label(file.kind);
        if file.present {
            say!(
                out,
                "{label:<21} {:>8} added {:>8} unchanged   {}",
                file.added,
                file.unchanged,
                file.path
            )?;
        } else {
            say!(out, "{label:<21} skipped: {} not found", file.path)?;
        }
    }
    let batches = report.batches() as u64;
    if report.added == 0 {
        say!(out, "nothing new: the store is unchanged")
    } else {
        say!(
            out,
            "imported {} in {}",
            crate::textfmt::count(report.added, "row"),
            crate::textfmt::count(batches, "batch")
        )
    }
}

pub fn run(s: &Session, args: ImportArgs) -> anyhow::Result<ExitCode> {
    if args.kind.as_deref() == Some("gens") {
        return super::results::import_gens(s, args.file.as_deref(), args.gens_root, &args.format);
    }
    if let Some(message) = match (&args.kind, &args.file, &args.gens_root) {
        (Some(_), None, _) => Some("import KIND needs a FILE (only `import gens` takes none)"),
        (_, _, Some(_)) => {
            Some("--gens-root goes with `import gens` only (import gens --gens-root DIR)")
        }
        _ => None,
    } {
        super::command()
            .error(clap::error::ErrorKind::MissingRequiredArgument, message)
            .exit();
    }
    let request = ImportRequest {
        file: args.kind.zip(args.file),
    };
    let report = s.workspace().import(&request, s.ctx())?;
    if !args.format.is_json() {
        // In JSON the warnings are part of the document.
        for warning in report.files.iter().flat_map(|f| &f.warnings) {
            s.warn(warning);
        }
    }
    args.format.emit(&report, print)?;
    Ok(ExitCode::SUCCESS)
}
