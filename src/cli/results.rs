//! The results ledger on the command line: `import gens`, `scores COHORT_ID` and
//! `results verify` (docs/cli.md). Thin: each turns arguments into one `cohortdb::results`
//! call and renders its typed report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use cohortdb::Store;
use cohortdb::ids::CohortId;
use cohortdb::results::{self, ImportGensReport, ScoresRequest};

use super::Global;
use super::render::{FormatArgs, Spinner, print_json, verdict, warn};

/// The gens root: `--gens-root`, else `<data-root>/gens`.
fn gens_root(global: &Global, flag: Option<PathBuf>) -> PathBuf {
    flag.unwrap_or_else(|| global.data_root.join("gens"))
}

/// `cohortdb import gens [--gens-root DIR]`.
pub fn import_gens(
    global: &Global,
    stray: Option<&Path>,
    flag: Option<PathBuf>,
    format: &FormatArgs,
) -> anyhow::Result<ExitCode> {
    if let Some(stray) = stray {
        use clap::CommandFactory;
        super::Cli::command()
            .error(
                clap::error::ErrorKind::UnknownArgument,
                format!(
                    "import gens takes no FILE ({}); name the folder with --gens-root",
                    stray.display()
                ),
            )
            .exit();
    }
    let root = gens_root(global, flag);
    let report = {
        let _spinner = Spinner::start(global, format!("importing {}", root.display()));
        super::with_new_or_existing_store(global, |store| Ok(results::import_gens(store, &root)?))?
    };
    if format.is_json() {
        print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    for w in &report.warnings {
        warn(global, w);
    }
    print_import(&mut super::out::stdout(), &report)?;
    Ok(ExitCode::SUCCESS)
}

fn print_import(out: &mut impl Write, r: &ImportGensReport) -> std::io::Result<()> {
    writeln!(out, "gens root: {}", r.gens_root)?;
    for (stage, n) in &r.generations {
        writeln!(out, "{stage:<11} {n:>9} generation folders")?;
    }
    writeln!(out, "files read: {}", r.files_read)?;
    match r.import_id {
        None => writeln!(out, "nothing new: the ledger is unchanged"),
        Some(id) => writeln!(
            out,
            "import {id}: {} new, {} changed, {} vanished generation folders",
            r.added, r.changed, r.vanished
        ),
    }
}

/// How `scores` prints rows instead of writing files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RowsFormat {
    /// The reference's CSV (the bytes of evaluation_scores.csv).
    Csv,
    /// One JSON array of objects, every cell as the CSV's text.
    Json,
}

#[derive(Debug, Args)]
pub struct ScoresArgs {
    /// The cohort: a stored one, or one that exists only as cohorts/<id>/membership.csv.
    #[arg(value_name = "COHORT_ID")]
    cohort_id: String,
    /// The gens root that was imported; default <data-root>/gens.
    #[arg(long, value_name = "DIR")]
    gens_root: Option<PathBuf>,
    /// Print the rows (csv or json) on stdout instead of writing the report files.
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<RowsFormat>,
}

/// `cohortdb scores COHORT_ID`.
pub fn scores(global: &Global, args: ScoresArgs) -> anyhow::Result<ExitCode> {
    let cohort = CohortId::parse(&args.cohort_id)?;
    let store = Store::open_read_only(&global.db)?;
    let req = ScoresRequest {
        cohort,
        data_root: global.data_root.clone(),
        gens_root: gens_root(global, args.gens_root),
    };
    let mut out = super::out::stdout();
    match args.format {
        Some(RowsFormat::Csv) => {
            let mut header = Vec::new();
            results::frame::push_record(&mut header, &results::COLUMNS);
            let mut buf = Vec::new();
            results::score_rows(store.conn(), &req, |row| {
                if buf.is_empty() {
                    buf.extend_from_slice(&header);
                }
                results::frame::push_record(&mut buf, &row.cells());
                if buf.len() > 1 << 20 {
                    out.write_all(&buf)
                        .map_err(|e| cohortdb::Error::io("stdout", e))?;
                    buf.clear();
                }
                Ok(())
            })?;
            if buf.is_empty() {
                buf = header;
            }
            out.write_all(&buf)?;
        }
        Some(RowsFormat::Json) => {
            let mut rows = Vec::new();
            results::score_rows(store.conn(), &req, |row| {
                rows.push(row.clone());
                Ok(())
            })?;
            drop(out);
            print_json(&rows)?;
            return Ok(ExitCode::SUCCESS);
        }
        None => {
            let report = {
                let _spinner = Spinner::start(global, format!("scores of {}", args.cohort_id));
                results::scores(store.conn(), &req)?
            };
            writeln!(
                out,
                "cohort {}: {} rows (ledger import {} of {}, {})",
                report.cohort_id,
                report.rows,
                report.imported.import_id,
                report.imported.gens_root,
                report.imported.imported_at
            )?;
            for path in &report.written {
                writeln!(out, "wrote {path}")?;
            }
            for (path, why) in &report.not_written {
                writeln!(out, "not written: {path} ({why})")?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum ResultsCommand {
    /// Re-hash every output file the ledger holds; exit 1 when any changed or vanished.
    Verify(FormatArgs),
}

/// `cohortdb results …`.
pub fn run(global: &Global, command: ResultsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ResultsCommand::Verify(format) => {
            let store = Store::open_read_only(&global.db)?;
            let report = {
                let _spinner = Spinner::start(global, "re-hashing the imported outputs");
                results::verify(store.conn())?
            };
            format.emit(&report, |out, r| {
                for c in &r.changes {
                    writeln!(out, "{}: {}", c.path, c.change)?;
                }
                writeln!(
                    out,
                    "{} files checked under {}: {}",
                    r.checked,
                    r.gens_root,
                    if r.changes.is_empty() {
                        "ok".to_string()
                    } else {
                        format!("{} changed or vanished", r.changes.len())
                    }
                )
            })?;
            Ok(verdict(report.changes.is_empty()))
        }
    }
}
