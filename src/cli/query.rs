//! `cohortdb query SQL | - | --file F`: one read-only statement with named parameters bound
//! from `--param`, streamed as csv, tsv, json, jsonl, markdown, or an aligned table (the
//! default on a terminal). Floats print as SQLite prints them, blobs as `x'…'` in every format.
//!
//! Rows are written as the statement steps (`app::Workspace::query` feeds a [`Printer`]). When
//! the reader of stdout goes away (`| head -1`) the statement stops at once and the command
//! exits 0; Ctrl-C stops it too (exit 130), even while it waits on stdin or a full pipe
//! (`cli::Session`).

use super::ExitCode;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use crate::app::{Params, QueryRequest, RowSink};
use crate::error::UsageError;
use crate::fsutil::{OutputTarget, open_stream_output, output_target};
use crate::query::RealText;
use crate::textfmt::{push_json_str, visible, write_csv_record};
use clap::{Args, ValueEnum};
use rusqlite::types::ValueRef;

use super::Session;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Aligned columns (the first 1000 rows, or the first MiB of them, size them) and a row
    /// count; control characters in values escaped.
    Table,
    /// A header line, minimal quoting, LF line ends.
    Csv,
    /// A header line, tab-separated; `\`, tab, CR and LF in values escaped as `\\`, `\t`,
    /// `\r`, `\n`.
    Tsv,
    /// One array of objects.
    Json,
    /// One object a line.
    Jsonl,
    /// A GitHub-flavoured Markdown table (`|` escaped, line breaks as `<br>`, other control
    /// characters escaped).
    Markdown,
    /// A Parquet file, written in row groups as the rows come: int64, double, utf8 or binary
    /// columns from the declared types, else from the first rows' values (docs/cli.md `query`).
    /// Needs --out FILE or a redirected stdout.
    Parquet,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// One SQL statement that only reads (views: membership, cohorts, templates, llm_models,
    /// concepts, combo_mappings, …); `-` reads it from stdin. Comments (`-- …`) are fine.
    #[arg(
        value_name = "SQL",
        allow_hyphen_values = true,
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    sql: Option<String>,
    /// Read the statement from a file (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// A named parameter, bound (never spliced): `--param cohort=alpha` for `:cohort`.
    /// Repeatable. A canonical integer binds as an integer, anything else as text.
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Output format; default `table` on a terminal, `csv` otherwise.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the result to FILE instead of stdout (`-` for stdout). A regular file is replaced
    /// whole once the statement has finished: a failed or stopped query leaves it as it was.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Stop the statement after this long (`30s`, `5m`, `1h`); exit 2. Ctrl-C also stops it.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    timeout: Option<Duration>,
}

fn parse_param(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("expected NAME=VALUE, found {arg:?}")),
    }
}

/// The statement's text: the argument, a file, or stdin (`-`).
fn read_sql(args: &QueryArgs) -> anyhow::Result<String> {
    let from_stdin = |what: &'static str| -> anyhow::Result<String> {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            crate::Error::from(UsageError::QueryRead {
                what,
                error: e.to_string(),
            })
        })?;
        Ok(text)
    };
    match (&args.sql, &args.file) {
        (Some(sql), _) if sql == "-" => from_stdin("the statement from stdin"),
        (Some(sql), _) => Ok(sql.clone()),
        (None, Some(path)) if crate::fsutil::is_stdio(path) => {
            from_stdin("the statement from stdin")
        }
        (None, Some(path)) => {
            let bytes = crate::fsutil::read_regular(path).map_err(|e| crate::Error::io(path, e))?;
            String::from_utf8(bytes).map_err(|e| {
                crate::Error::from(UsageError::SqlNotUtf8 {
                    path: path.display().to_string(),
                    byte: e.utf8_error().valid_up_to(),
                })
                .into()
            })
        }
        (None, None) => Err(crate::Error::from(UsageError::NoSql).into()),
    }
}

/// A value as text, the same in every format: NULL empty, floats as SQLite prints them,
/// blobs as `x'hex'`.
fn text_of(value: ValueRef<'_>, real: &mut RealText<'_>) -> crate::Result<Vec<u8>> {
    Ok(match value {
        ValueRef::Null => Vec::new(),
        ValueRef::Integer(i) => i.to_string().into_bytes(),
        ValueRef::Real(f) => real.format(f)?.into_bytes(),
        ValueRef::Text(t) => t.to_vec(),
        ValueRef::Blob(b) => blob_text(b).into_bytes(),
    })
}

fn blob_text(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2 + 3);
    text.push_str("x'");
    for b in bytes {
        text.push_str(&format!("{b:02x}"));
    }
    text.push('\'');
    text
}

fn push_json_value(
    out: &mut String,
    value: ValueRef<'_>,
    real: &mut RealText<'_>,
) -> crate::Result<()> {
    match value {
        ValueRef::Null => out.push_str("null"),
        ValueRef::Integer(i) => out.push_str(&i.to_string()),
        ValueRef::Real(f) if f.is_finite() => out.push_str(&real.format(f)?),
        ValueRef::Real(_) => out.push_str("null"),
        ValueRef::Text(t) => push_json_str(out, &String::from_utf8_lossy(t), false),
        ValueRef::Blob(b) => push_json_str(out, &blob_text(b), false),
    }
    Ok(())
}

/// A TSV field: backslash, tab, CR and LF escaped.
fn push_tsv(out: &mut Vec<u8>, field: &[u8]) {
    for &b in field {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
}

/// A Markdown table row: `|` escaped, line breaks as `<br>`, other control and format
/// characters escaped visibly.
fn markdown_row(cells: &[String]) -> String {
    let mut line = String::from("|");
    for cell in cells {
        line.push(' ');
        let cell = cell
            .replace('|', "\\|")
            .replace("\r\n", "<br>")
            .replace('\n', "<br>");
        // Tabs are data in a Markdown cell; everything else a terminal interprets is escaped.
        for (i, piece) in cell.split('\t').enumerate() {
            if i > 0 {
                line.push('\t');
            }
            line.push_str(&visible(piece));
        }
        line.push_str(" |");
    }
    line.push('\n');
    line
}

/// How many rows `--format table` reads before it fixes the column widths; later rows are
/// streamed with those widths, so memory stays bounded whatever the row count.
const TABLE_SAMPLE_ROWS: usize = 1000;

/// The most text the sizing sample of `--format table` holds: wide rows fix the widths sooner,
/// so a result of huge values streams in bounded memory too.
const TABLE_SAMPLE_BYTES: usize = 1 << 20;

/// The widest a table column is padded to (longer cells overflow their column).
const TABLE_MAX_WIDTH: usize = 60;

pub fn run(s: &Session, args: QueryArgs) -> anyhow::Result<ExitCode> {
    let out = args.out.as_deref().filter(|p| p.as_os_str() != "-");
    let to_terminal = out.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if to_terminal {
        Format::Table
    } else {
        Format::Csv
    });
    if format == Format::Parquet && to_terminal {
        return Err(crate::Error::from(UsageError::ParquetToTerminal).into());
    }
    let request = QueryRequest {
        sql: read_sql(&args)?,
        params: Params::from_text(&args.params),
        timeout: args.timeout,
    };
    let Some(path) = out else {
        emit(s, &request, format, std::io::stdout(), "stdout")?;
        return Ok(ExitCode::SUCCESS);
    };
    // As `compile --out` (docs/reliability.md, "Pipes, special files and links"): a regular
    // file is replaced whole through the atomic writer; a FIFO or character device is written
    // into; anything else is refused before the statement runs.
    let shown = path.display().to_string();
    match output_target(path).map_err(|e| crate::Error::io(path, e))? {
        OutputTarget::Replace => {
            // Errors name FILE, not the temporary file they happen in.
            crate::layout::write_with(path, |file, _| -> anyhow::Result<()> {
                emit(s, &request, format, file, &shown)
            })?;
        }
        OutputTarget::Stream => {
            let file = open_stream_output(path).map_err(|e| crate::Error::io(path, e))?;
            emit(s, &request, format, file, &shown)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the statement and writes its rows to `out` in `format`; `shown` names `out` in errors.
fn emit<W: Write + Send>(
    s: &Session,
    request: &QueryRequest,
    format: Format,
    out: W,
    shown: &str,
) -> anyhow::Result<()> {
    if format == Format::Parquet {
        return emit_parquet(s, request, out, shown);
    }
    let mut printer = Printer {
        format,
        out: BufWriter::with_capacity(1 << 16, out),
        writer: None,
        closed: false,
        shown: shown.to_string(),
    };
    s.workspace().query(request, s.ctx(), &mut printer)?;
    printer.finish()?;
    Ok(())
}

#[cfg(feature = "parquet")]
fn emit_parquet<W: Write + Send>(
    s: &Session,
    request: &QueryRequest,
    out: W,
    shown: &str,
) -> anyhow::Result<()> {
    let mut sink = crate::app::ParquetSink::new(BufWriter::with_capacity(1 << 20, out), shown);
    s.workspace().query(request, s.ctx(), &mut sink)?;
    sink.finish()?;
    Ok(())
}

#[cfg(not(feature = "parquet"))]
fn emit_parquet<W: Write + Send>(
    _: &Session,
    _: &QueryRequest,
    _: W,
    _: &str,
) -> anyhow::Result<()> {
    Err(crate::Error::from(UsageError::FormatDisabled {
        format: "parquet",
        feature: "parquet",
    })
    .into())
}

/// The CLI's [`RowSink`]: every row written in the chosen format as it comes.
struct Printer<W: Write> {
    format: Format,
    out: W,
    writer: Option<RowWriter>,
    /// The reader of stdout went away: nothing more is written.
    closed: bool,
    /// The output, for errors (`stdout`, a path).
    shown: String,
}

impl<W: Write> Printer<W> {
    /// Maps a write's outcome: a closed pipe means "stop" (`Ok(false)`), other errors fail.
    fn written(&mut self, result: std::io::Result<()>) -> crate::Result<bool> {
        match result {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(false)
            }
            Err(e) => Err(crate::Error::io(self.shown.as_str(), e)),
        }
    }

    /// Closes the document (json's bracket, the table's sample and count) and flushes.
    fn finish(mut self) -> crate::Result<()> {
        if self.closed {
            return Ok(());
        }
        let Some(mut writer) = self.writer.take() else {
            return Ok(());
        };
        let result = writer.finish(&mut self.out).and_then(|()| self.out.flush());
        self.written(result).map(|_| ())
    }
}

impl<W: Write> RowSink for Printer<W> {
    fn columns(&mut self, names: &[String]) -> crate::Result<()> {
        let mut writer = RowWriter::new(self.format, names);
        let result = writer.header(&mut self.out);
        self.writer = Some(writer);
        self.written(result).map(|_| ())
    }

    fn row(&mut self, row: &[ValueRef<'_>], real: &mut RealText<'_>) -> crate::Result<bool> {
        if self.closed {
            return Ok(false);
        }
        let Some(writer) = self.writer.as_mut() else {
            return Ok(true);
        };
        let result = writer.row(&mut self.out, row, real)?;
        self.written(result)
    }
}

/// Writes one result's rows in one format as they come (only `table` holds a first sample to
/// size its columns).
struct RowWriter {
    format: Format,
    names: Vec<String>,
    table: Table,
    count: u64,
    /// Scratch buffers reused across rows.
    line: String,
    bytes: Vec<u8>,
}

impl RowWriter {
    fn new(format: Format, names: &[String]) -> Self {
        RowWriter {
            format,
            names: names.to_vec(),
            table: Table::new(names),
            count: 0,
            line: String::new(),
            bytes: Vec::new(),
        }
    }

    /// The header line(s) of the formats that have one.
    fn header(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        match self.format {
            Format::Csv => write_csv_record(out, &self.names, b"\n")?,
            Format::Tsv => {
                self.bytes.clear();
                for (i, name) in self.names.iter().enumerate() {
                    if i > 0 {
                        self.bytes.push(b'\t');
                    }
                    push_tsv(&mut self.bytes, name.as_bytes());
                }
                self.bytes.push(b'\n');
                out.write_all(&self.bytes)?;
            }
            Format::Markdown => {
                out.write_all(markdown_row(&self.names).as_bytes())?;
                let rule: Vec<String> = self.names.iter().map(|_| "---".to_string()).collect();
                out.write_all(markdown_row(&rule).as_bytes())?;
            }
            Format::Json => out.write_all(b"[")?,
            // Parquet never reaches the text writer (`emit` hands it to `ParquetSink`).
            Format::Jsonl | Format::Table | Format::Parquet => {}
        }
        Ok(())
    }

    /// Every cell of `row` as text (what csv, tsv, markdown and table print).
    fn texts(row: &[ValueRef<'_>], real: &mut RealText<'_>) -> crate::Result<Vec<Vec<u8>>> {
        row.iter().map(|v| text_of(*v, real)).collect()
    }

    /// Writes one row. The outer result is a value that could not be formatted; the inner one
    /// the write.
    fn row(
        &mut self,
        out: &mut impl Write,
        row: &[ValueRef<'_>],
        real: &mut RealText<'_>,
    ) -> crate::Result<std::io::Result<()>> {
        let lossy = |cells: Vec<Vec<u8>>| -> Vec<String> {
            cells
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect()
        };
        self.count += 1;
        Ok(match self.format {
            Format::Csv => write_csv_record(out, &RowWriter::texts(row, real)?, b"\n"),
            Format::Tsv => {
                self.bytes.clear();
                for (i, text) in RowWriter::texts(row, real)?.iter().enumerate() {
                    if i > 0 {
                        self.bytes.push(b'\t');
                    }
                    push_tsv(&mut self.bytes, text);
                }
                self.bytes.push(b'\n');
                out.write_all(&self.bytes)
            }
            Format::Markdown => {
                let cells = lossy(RowWriter::texts(row, real)?);
                out.write_all(markdown_row(&cells).as_bytes())
            }
            Format::Json | Format::Jsonl => {
                self.json_row(row, real)?;
                out.write_all(self.line.as_bytes())
            }
            Format::Table => {
                let cells = lossy(RowWriter::texts(row, real)?);
                self.table.push(out, cells)
            }
            // Parquet never reaches the text writer (`emit` hands it to `ParquetSink`).
            Format::Parquet => Ok(()),
        })
    }

    fn json_row(&mut self, row: &[ValueRef<'_>], real: &mut RealText<'_>) -> crate::Result<()> {
        let line = &mut self.line;
        line.clear();
        if self.format == Format::Json {
            line.push_str(if self.count == 1 { "\n  " } else { ",\n  " });
        }
        line.push('{');
        for (i, (name, value)) in self.names.iter().zip(row).enumerate() {
            if i > 0 {
                line.push_str(", ");
            }
            push_json_str(line, name, false);
            line.push_str(": ");
            push_json_value(line, *value, real)?;
        }
        line.push('}');
        if self.format == Format::Jsonl {
            line.push('\n');
        }
        Ok(())
    }

    /// Closes the document (json's bracket, the table's remaining rows).
    fn finish(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        match self.format {
            Format::Json => out.write_all(if self.count == 0 { b"]\n" } else { b"\n]\n" }),
            Format::Table => self.table.finish(out, self.count),
            _ => Ok(()),
        }
    }
}

/// An aligned table, streamed: the first [`TABLE_SAMPLE_ROWS`] rows (at most
/// [`TABLE_SAMPLE_BYTES`] of text) are held to size the columns (capped at
/// [`TABLE_MAX_WIDTH`]), then every row is written as it comes. Cells are escaped with
/// [`visible`]: a value cannot move the cursor or break a row.
struct Table {
    names: Vec<String>,
    widths: Vec<usize>,
    sample: Vec<Vec<String>>,
    sample_bytes: usize,
    started: bool,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

impl Table {
    fn new(names: &[String]) -> Table {
        let names: Vec<String> = names.iter().map(|n| visible(n).into_owned()).collect();
        Table {
            widths: names.iter().map(|n| width(n)).collect(),
            names,
            sample: Vec::new(),
            sample_bytes: 0,
            started: false,
        }
    }

    fn push(&mut self, out: &mut impl Write, cells: Vec<String>) -> std::io::Result<()> {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| match visible(&c) {
                std::borrow::Cow::Borrowed(_) => c,
                std::borrow::Cow::Owned(escaped) => escaped,
            })
            .collect();
        if self.started {
            return self.print_row(out, &cells);
        }
        for (i, cell) in cells.iter().enumerate() {
            self.widths[i] = self.widths[i].max(width(cell).min(TABLE_MAX_WIDTH));
        }
        self.sample_bytes += cells.iter().map(String::len).sum::<usize>();
        self.sample.push(cells);
        if self.sample.len() >= TABLE_SAMPLE_ROWS || self.sample_bytes >= TABLE_SAMPLE_BYTES {
            self.start(out)?;
        }
        Ok(())
    }

    fn start(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        self.started = true;
        let names = std::mem::take(&mut self.names);
        self.print_row(out, &names)?;
        let rule: Vec<String> = self.widths.iter().map(|w| "-".repeat(*w)).collect();
        self.print_row(out, &rule)?;
        for row in std::mem::take(&mut self.sample) {
            self.print_row(out, &row)?;
        }
        self.sample_bytes = 0;
        Ok(())
    }

    fn print_row(&self, out: &mut impl Write, cells: &[String]) -> std::io::Result<()> {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < cells.len() {
                line.push_str(&" ".repeat(self.widths[i].saturating_sub(width(cell))));
            }
        }
        writeln!(out, "{}", line.trim_end())
    }

    fn finish(&mut self, out: &mut impl Write, count: u64) -> std::io::Result<()> {
        if !self.started {
            self.start(out)?;
        }
        writeln!(out, "({})", crate::textfmt::count(count, "row"))
    }
}
