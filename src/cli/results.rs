//! The results ledger on the command line: `import gens`, `scores COHORT_ID`, `results verify`
//! and `results progress COHORT_ID` (docs/cli.md). Thin: each builds one request of
//! `crate::app`, calls the workspace and renders the report.

use super::ExitCode;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::app::reports::{ImportGensReport, ProgressReport, ScoresReport};
use crate::app::{ImportGensRequest, ProgressRequest, ScoresRequest};
use clap::{Args, Subcommand, ValueEnum};

use super::Session;
use super::render::{FormatArgs, TextOut, print_json, say, verdict};

/// `cohortdb import gens [--gens-root DIR]`; `stray` is a FILE given after `gens`.
pub fn import_gens(
    s: &Session,
    stray: Option<&Path>,
    gens_root: Option<PathBuf>,
    format: &FormatArgs,
) -> anyhow::Result<ExitCode> {
    if let Some(stray) = stray {
        super::command()
            .error(
                clap::error::ErrorKind::UnknownArgument,
                format!(
                    "import gens takes no FILE ({}); name the folder with --gens-root",
                    crate::textfmt::visible(&stray.display().to_string())
                ),
            )
            .exit();
    }
    let request = ImportGensRequest { gens_root };
    let report = s.workspace().import_gens(&request, s.ctx())?;
    if !format.is_json() {
        // In JSON the warnings are part of the document.
        for warning in &report.warnings {
            s.warn(warning);
        }
        if report.warnings_omitted > 0 {
            s.warn(&format!("… and {} more", report.warnings_omitted));
        }
    }
    format.emit(&report, print_import)?;
    Ok(ExitCode::SUCCESS)
}

fn print_import(out: &mut TextOut, r: &ImportGensReport) -> std::io::Result<()> {
    say!(out, "gens root: {}", r.gens_root)?;
    for (stage, n) in &r.generations {
        say!(
            out,
            "{stage:<11} {n:>9} {}",
            crate::textfmt::plural(*n, "generation folder")
        )?;
    }
    say!(out, "files read: {}", r.files_read)?;
    match r.import_id {
        None => say!(out, "nothing new: the ledger is unchanged"),
        Some(id) => say!(
            out,
            "import {id}: {} new, {} changed, {} vanished generation folders",
            r.added,
            r.changed,
            r.vanished
        ),
    }
}

/// What `scores` prints: the report of the files it wrote, or the rows themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ScoresFormat {
    /// Write the report files and print what was written.
    #[default]
    Text,
    /// Print the rows as the reference's CSV (the bytes of evaluation_scores.csv); write no
    /// file.
    Csv,
    /// Print the rows as one JSON array of objects (every cell as the CSV's text); write no
    /// file.
    Json,
    /// Write the report files and print the report as one JSON document
    /// (docs/schema/scores.schema.json).
    Report,
}

#[derive(Debug, Args)]
pub struct ScoresArgs {
    /// The cohort: a stored one, or one that exists only as cohorts/<id>/membership.csv.
    #[arg(value_name = "COHORT_ID")]
    cohort_id: String,
    /// The gens root that was imported; default <data-root>/gens.
    #[arg(long, value_name = "DIR")]
    gens_root: Option<PathBuf>,
    /// text: write the files; csv or json: print the rows instead (no file written);
    /// report: write the files and print the report as JSON.
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    format: ScoresFormat,
}

fn print_scores(out: &mut TextOut, r: &ScoresReport) -> std::io::Result<()> {
    say!(
        out,
        "cohort {}: {} (ledger import {} of {}, {})",
        r.cohort_id,
        crate::textfmt::count(r.rows, "row"),
        r.imported.import_id,
        r.imported.gens_root,
        r.imported.imported_at
    )?;
    for path in &r.written {
        say!(out, "wrote {path}")?;
    }
    for (path, why) in &r.not_written {
        say!(out, "not written: {path} ({why})")?;
    }
    Ok(())
}

/// `cohortdb scores COHORT_ID`.
pub fn scores(s: &Session, args: ScoresArgs) -> anyhow::Result<ExitCode> {
    let request = ScoresRequest {
        cohort_id: args.cohort_id,
        gens_root: args.gens_root,
    };
    let ws = s.workspace();
    match args.format {
        ScoresFormat::Csv | ScoresFormat::Json => {
            let mut rows = RowPrinter::new(args.format == ScoresFormat::Json);
            let result = ws.score_rows(&request, s.ctx(), |row| rows.row(row));
            match result {
                // The reader went away (`| head`): stop the work, as `query` does.
                Err(_) if rows.closed => return Ok(ExitCode::SUCCESS),
                Err(e) => return Err(e.into()),
                Ok(_) => rows.finish()?,
            }
        }
        ScoresFormat::Text => {
            let report = ws.scores(&request, s.ctx())?;
            let mut out = TextOut::stdout();
            print_scores(&mut out, &report)?;
            out.flush()?;
        }
        ScoresFormat::Report => {
            let report = ws.scores(&request, s.ctx())?;
            print_json(&report)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints `scores --format csv|json` rows as they stream, in 1 MiB writes: the header (or the
/// array's bracket) goes out with the first row, so a refusal (D25) prints nothing. A closed
/// pipe stops the work.
struct RowPrinter {
    json: bool,
    out: std::io::StdoutLock<'static>,
    buf: Vec<u8>,
    rows: u64,
    closed: bool,
}

impl RowPrinter {
    fn new(json: bool) -> RowPrinter {
        RowPrinter {
            json,
            out: std::io::stdout().lock(),
            buf: Vec::with_capacity(1 << 20),
            rows: 0,
            closed: false,
        }
    }

    fn header(&mut self) {
        if self.json {
            self.buf.extend_from_slice(b"[\n  ");
        } else {
            crate::results::frame::push_record(&mut self.buf, &crate::results::COLUMNS);
        }
    }

    fn row(&mut self, row: &crate::results::EvaluationRow) -> crate::Result<()> {
        if self.rows == 0 {
            self.header();
        } else if self.json {
            self.buf.extend_from_slice(b",\n  ");
        }
        self.rows += 1;
        if self.json {
            serde_json::to_writer(&mut self.buf, row)
                .map_err(|e| crate::Error::internal("a row serialises", e.to_string()))?;
        } else {
            crate::results::frame::push_record(&mut self.buf, &row.cells());
        }
        if self.buf.len() >= 1 << 20 {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> crate::Result<()> {
        let result = self
            .out
            .write_all(&self.buf)
            .and_then(|()| self.out.flush());
        self.buf.clear();
        match result {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Err(crate::Error::io("stdout", e))
            }
            Err(e) => Err(crate::Error::io("stdout", e)),
        }
    }

    /// Closes the document (the header alone, or `[]`, for no rows) and flushes it.
    fn finish(mut self) -> crate::Result<()> {
        match (self.json, self.rows) {
            (true, 0) => self.buf.extend_from_slice(b"[]\n"),
            (true, _) => self.buf.extend_from_slice(b"\n]\n"),
            (false, 0) => self.header(),
            (false, _) => {}
        }
        match self.send() {
            Err(_) if self.closed => Ok(()),
            other => other,
        }
    }
}

#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// The stored cohort.
    #[arg(value_name = "COHORT_ID")]
    cohort_id: String,
    /// List, per stage, the members without parsed.txt.
    #[arg(long)]
    missing: bool,
    #[command(flatten)]
    format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum ResultsCommand {
    /// Re-hash every output file the ledger holds; exit 1 when any changed or vanished.
    Verify(FormatArgs),
    /// Per stage, how many members of a stored cohort have prompt, raw and parsed outputs in
    /// the ledger (`--missing` lists those without parsed.txt).
    Progress(ProgressArgs),
}

/// The progress lines of one cohort (shared with `status`).
pub fn print_progress(out: &mut TextOut, p: &ProgressReport) -> std::io::Result<()> {
    if p.imported.is_none() {
        say!(
            out,
            "{}: nothing imported yet (cohortdb import gens)",
            p.cohort_id
        )?;
    }
    for stage in &p.stages {
        say!(
            out,
            "{}: {:<10} {:>9} {:<7} {:>9} prompt {:>9} raw {:>9} parsed",
            p.cohort_id,
            stage.stage,
            stage.members,
            crate::textfmt::plural(stage.members, "member"),
            stage.with_prompt,
            stage.with_raw,
            stage.with_parsed
        )?;
        if let Some(missing) = &stage.missing
            && !missing.is_empty()
        {
            say!(
                out,
                "    missing parsed.txt ({}): {}",
                missing.len(),
                missing.join(", ")
            )?;
        }
    }
    Ok(())
}

/// `cohortdb results …`.
pub fn run(s: &Session, command: ResultsCommand) -> anyhow::Result<ExitCode> {
    match command {
        ResultsCommand::Verify(format) => {
            let report = s.workspace().results_verify(s.ctx())?;
            format.emit(&report, |out, r| {
                for c in &r.changes {
                    say!(out, "{}: {}", c.path, c.change)?;
                }
                let verdict = if r.changes.is_empty() {
                    "ok".to_string()
                } else {
                    format!("{} changed or vanished", r.changes.len())
                };
                say!(
                    out,
                    "{} checked under {}: {verdict}",
                    crate::textfmt::count(r.checked, "file"),
                    r.gens_root
                )
            })?;
            Ok(verdict(report.changes.is_empty()))
        }
        ResultsCommand::Progress(args) => {
            let request = ProgressRequest {
                cohort_id: args.cohort_id,
                missing: args.missing,
            };
            let report = s.workspace().progress(&request, s.ctx())?;
            args.format.emit(&report, print_progress)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
