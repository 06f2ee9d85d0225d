//! `cohortdb import [KIND FILE]`: append-only catalog import; prints what each file added.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use cohortdb::catalog::{self, CatalogKind};

use super::Global;
use super::render::{FileBar, FormatArgs, print_json, warn};

/// One file in `import --format json` (docs/schema/import.schema.json).
#[derive(serde::Serialize)]
struct FileJson<'a> {
    kind: &'static str,
    path: &'a str,
    present: bool,
    added: u64,
    unchanged: u64,
    batch_id: Option<i64>,
    warnings: &'a [String],
}

#[derive(serde::Serialize)]
struct ImportJson<'a> {
    added: u64,
    files: Vec<FileJson<'a>>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The catalog kind: concepts, draft-templates, essay-templates, evaluation-templates,
    /// llm-models, combo-mappings or replication. Without KIND and FILE, every file of the data
    /// layout is imported.
    #[arg(value_name = "KIND", requires = "file")]
    kind: Option<String>,
    /// The CSV file (bodies and descriptions are read from folders next to it).
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    #[command(flatten)]
    format: FormatArgs,
}

/// Refuses an import of the data layout that would find no catalog file at all (a missing or
/// mistyped `--data-root`), before the store is opened or created.
fn require_some_catalog(global: &Global) -> anyhow::Result<()> {
    let root = &global.data_root;
    if CatalogKind::ALL
        .iter()
        .any(|k| k.layout_path(root).exists())
    {
        return Ok(());
    }
    let expected: Vec<String> = CatalogKind::ALL
        .iter()
        .map(|k| k.layout_path(root).display().to_string())
        .collect();
    bail!(cohortdb::Error::from(
        cohortdb::UsageError::NothingToImport {
            root: root.display().to_string(),
            is_dir: root.is_dir(),
            expected,
        }
    ))
}

pub fn run(global: &Global, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let progress = FileBar::new(global);
    let report = match (&args.kind, &args.file) {
        (Some(kind), Some(file)) => {
            let Some(kind) = CatalogKind::parse(kind) else {
                bail!(cohortdb::Error::from(
                    cohortdb::UsageError::UnknownCatalogKind {
                        kind: kind.clone(),
                        expected: CatalogKind::ALL
                            .iter()
                            .map(|k| k.name().to_string())
                            .collect(),
                    }
                ));
            };
            // `exists`, not `is_file`: a FIFO or device is refused by the import itself, which
            // says what it is (docs/reliability.md, "Pipes, special files and links").
            if !file.exists() {
                bail!(cohortdb::Error::from(cohortdb::UsageError::NoCatalogFile {
                    path: file.display().to_string(),
                }));
            }
            super::with_new_or_existing_store(global, |store| {
                Ok(catalog::import_file(store, kind, file, &progress)?)
            })?
        }
        _ => {
            require_some_catalog(global)?;
            super::with_new_or_existing_store(global, |store| {
                Ok(catalog::import_all(store, &global.data_root, &progress)?)
            })?
        }
    };
    if args.format.is_json() {
        // The warnings are part of the document.
        print_json(&ImportJson {
            added: report.added(),
            files: report
                .files
                .iter()
                .map(|f| FileJson {
                    kind: f.kind.name(),
                    path: &f.path,
                    present: f.present,
                    added: f.added,
                    unchanged: f.unchanged,
                    batch_id: f.batch_id,
                    warnings: &f.warnings,
                })
                .collect(),
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    for file in &report.files {
        for warning in &file.warnings {
            warn(global, warning);
        }
    }
    let mut out = super::out::stdout();
    for file in &report.files {
        if file.present {
            writeln!(
                out,
                "{:<21} {:>8} added {:>8} unchanged   {}",
                file.kind.label(),
                file.added,
                file.unchanged,
                file.path
            )?;
        } else {
            writeln!(
                out,
                "{:<21} skipped: {} not found",
                file.kind.label(),
                file.path
            )?;
        }
    }
    let batches = report.files.iter().filter(|f| f.batch_id.is_some()).count();
    if report.added() == 0 {
        writeln!(out, "nothing new: the store is unchanged")?;
    } else {
        writeln!(
            out,
            "imported {} rows in {batches} batch{}",
            report.added(),
            if batches == 1 { "" } else { "es" }
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
