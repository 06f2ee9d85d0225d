//! `cohortdb catalog strip-active [DATA_ROOT]`: rewrite legacy catalogs without their selection
//! flags, after printing what the flags selected (D9, D17).

use super::ExitCode;
use std::io::Write;
use std::path::PathBuf;

use crate::migrate::strip;
use clap::{Args, Subcommand};

use super::Global;

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Rewrite the catalogs of a data root without active / for_generation / for_evaluation
    /// columns, keeping every other byte; originals are kept as *.legacy.csv.
    StripActive(StripArgs),
}

#[derive(Debug, Args)]
pub struct StripArgs {
    /// The data root; default --data-root.
    #[arg(value_name = "DATA_ROOT")]
    data_root: Option<PathBuf>,
    /// Do not keep the originals as *.legacy.csv.
    #[arg(long)]
    no_backup: bool,
}

pub fn run(global: &Global, command: CatalogCommand) -> anyhow::Result<ExitCode> {
    let CatalogCommand::StripActive(args) = command;
    let root = args.data_root.unwrap_or_else(|| global.data_root.clone());
    let report = strip::strip_active(&root, !args.no_backup)?;
    let mut out = super::out::stdout();
    if report.is_empty() {
        writeln!(
            out,
            "no catalog under {} has active, for_generation or for_evaluation columns; nothing to do",
            root.display()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    for file in &report {
        writeln!(out, "{} ({})", file.path.display(), file.kind.label())?;
        for selection in &file.selections {
            writeln!(
                out,
                "  {} selected {} of {}: {}",
                selection.flag,
                selection.selected.len(),
                crate::textfmt::count(selection.rows as u64, "row"),
                if selection.selected.is_empty() {
                    "(none)".to_string()
                } else {
                    selection.selected.join(", ")
                }
            )?;
        }
        match &file.backup {
            Some(backup) => writeln!(
                out,
                "  rewritten without those columns; the original is kept as {}",
                backup.display()
            )?,
            None => writeln!(out, "  rewritten without those columns (no backup)")?,
        }
    }
    writeln!(
        out,
        "hint: which rows a cohort uses now belongs in its spec; `cohortdb migrate legacy COHORT_ID`, run before stripping, writes one from these flags"
    )?;
    Ok(ExitCode::SUCCESS)
}
