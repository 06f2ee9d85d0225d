//! `cohortdb query SQL | - | --file F`: one read-only statement with named parameters bound
//! from `--param`, streamed as csv, tsv, json, jsonl, markdown, or an aligned table (the
//! default on a terminal). Floats print as SQLite prints them, blobs as `x'…'` in every format.

use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};
use cohortdb::Store;
use cohortdb::error::UsageError;
use cohortdb::query::{RealText, Stop};
use cohortdb::textfmt::{push_json_str, write_csv_record};
use rusqlite::types::ValueRef;

use super::Global;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Aligned columns (the first 1000 rows size them) and a row count.
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
    /// A GitHub-flavoured Markdown table (`|` escaped, line breaks as `<br>`).
    Markdown,
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
            cohortdb::Error::from(UsageError::QueryRead {
                what,
                error: e.to_string(),
            })
        })?;
        Ok(text)
    };
    match (&args.sql, &args.file) {
        (Some(sql), _) if sql == "-" => from_stdin("the statement from stdin"),
        (Some(sql), _) => Ok(sql.clone()),
        (None, Some(path)) if path.as_os_str() == "-" => from_stdin("the statement from stdin"),
        (None, Some(path)) => {
            let bytes =
                cohortdb::fsutil::read_regular(path).map_err(|e| cohortdb::Error::io(path, e))?;
            String::from_utf8(bytes).map_err(|e| {
                cohortdb::Error::from(UsageError::SqlNotUtf8 {
                    path: path.display().to_string(),
                    byte: e.utf8_error().valid_up_to(),
                })
                .into()
            })
        }
        (None, None) => Err(cohortdb::Error::from(UsageError::NoSql).into()),
    }
}

/// A value as text, the same in every format: NULL empty, floats as SQLite prints them,
/// blobs as `x'hex'`.
fn text_of(value: ValueRef<'_>, real: &mut RealText<'_>) -> cohortdb::Result<Vec<u8>> {
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
) -> cohortdb::Result<()> {
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

/// A Markdown table row: `|` escaped, line breaks as `<br>`.
fn markdown_row(cells: &[String]) -> String {
    let mut line = String::from("|");
    for cell in cells {
        line.push(' ');
        line.push_str(
            &cell
                .replace('|', "\\|")
                .replace("\r\n", "<br>")
                .replace('\n', "<br>"),
        );
        line.push_str(" |");
    }
    line.push('\n');
    line
}

/// How many rows `--format table` reads before it fixes the column widths; later rows are
/// streamed with those widths, so memory stays bounded whatever the row count.
const TABLE_SAMPLE_ROWS: usize = 1000;

/// The widest a table column is padded to (longer cells overflow their column).
const TABLE_MAX_WIDTH: usize = 60;

fn query_error(e: rusqlite::Error, timeout: Option<Duration>, reason: &StopCell) -> anyhow::Error {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) {
        let stop = reason.lock().ok().and_then(|r| *r);
        let timeout = match (stop, timeout) {
            (Some(Stop::Timeout), Some(t)) => Some(t),
            _ => None,
        };
        return cohortdb::Error::from(cohortdb::UsageError::QueryStopped { timeout }).into();
    }
    cohortdb::Error::Db {
        query: "query",
        source: e,
    }
    .into()
}

type StopCell = std::sync::Arc<std::sync::Mutex<Option<Stop>>>;

pub fn run(global: &Global, args: QueryArgs) -> anyhow::Result<ExitCode> {
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Csv
    });
    let mut store = Store::open_read_only(&global.db)?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second handler cannot be installed in one process; `query` runs once per process.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed));
    }
    let sql = read_sql(&args)?;
    let reason = cohortdb::query::install_limits(store.conn_mut(), args.timeout, stop)?;
    let mut real = RealText::new(store.conn())?;
    let mut stmt = cohortdb::query::prepare_read_only(store.conn(), &sql)?;
    cohortdb::query::bind_params(&mut stmt, &args.params)?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let mut rows = stmt.raw_query();
    // The first row is read before anything is written: a statement that fails at once prints
    // its error only, not a header followed by an error.
    let mut next = rows
        .next()
        .map_err(|e| query_error(e, args.timeout, &reason))?;
    let stdout = super::out::stdout();
    let mut writer = RowWriter::new(format, &names, BufWriter::with_capacity(1 << 16, stdout));
    writer.header()?;
    while let Some(row) = next {
        writer.row(row, &mut real)?;
        next = rows
            .next()
            .map_err(|e| query_error(e, args.timeout, &reason))?;
    }
    writer.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes one result's rows in one format as they come (only `table` holds a first sample to
/// size its columns).
struct RowWriter<'n, W: Write> {
    format: Format,
    names: &'n [String],
    out: W,
    table: Table,
    count: u64,
    /// Scratch buffers reused across rows.
    line: String,
    fields: Vec<Vec<u8>>,
    bytes: Vec<u8>,
}

impl<'n, W: Write> RowWriter<'n, W> {
    fn new(format: Format, names: &'n [String], out: W) -> Self {
        RowWriter {
            format,
            names,
            out,
            table: Table::new(names),
            count: 0,
            line: String::new(),
            fields: Vec::with_capacity(names.len()),
            bytes: Vec::new(),
        }
    }

    /// The header line(s) of the formats that have one.
    fn header(&mut self) -> anyhow::Result<()> {
        let names = self.names;
        match self.format {
            Format::Csv => write_csv_record(&mut self.out, names, b"\n")?,
            Format::Tsv => {
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        self.bytes.push(b'\t');
                    }
                    push_tsv(&mut self.bytes, name.as_bytes());
                }
                self.bytes.push(b'\n');
                self.out.write_all(&self.bytes)?;
            }
            Format::Markdown => {
                self.out.write_all(markdown_row(names).as_bytes())?;
                let rule: Vec<String> = names.iter().map(|_| "---".to_string()).collect();
                self.out.write_all(markdown_row(&rule).as_bytes())?;
            }
            Format::Json => self.out.write_all(b"[")?,
            Format::Jsonl | Format::Table => {}
        }
        Ok(())
    }

    /// Every cell of `row` as text (what csv, tsv, markdown and table print).
    fn texts(
        &self,
        row: &rusqlite::Row<'_>,
        real: &mut RealText<'_>,
    ) -> cohortdb::Result<Vec<Vec<u8>>> {
        (0..self.names.len())
            .map(|i| text_of(row.get_ref_unwrap(i), real))
            .collect()
    }

    fn row(&mut self, row: &rusqlite::Row<'_>, real: &mut RealText<'_>) -> anyhow::Result<()> {
        let lossy = |cells: Vec<Vec<u8>>| -> Vec<String> {
            cells
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect()
        };
        match self.format {
            Format::Csv => {
                self.fields = self.texts(row, real)?;
                write_csv_record(&mut self.out, &self.fields, b"\n")?;
            }
            Format::Tsv => {
                self.bytes.clear();
                for (i, text) in self.texts(row, real)?.iter().enumerate() {
                    if i > 0 {
                        self.bytes.push(b'\t');
                    }
                    push_tsv(&mut self.bytes, text);
                }
                self.bytes.push(b'\n');
                self.out.write_all(&self.bytes)?;
            }
            Format::Markdown => {
                let cells = lossy(self.texts(row, real)?);
                self.out.write_all(markdown_row(&cells).as_bytes())?;
            }
            Format::Json | Format::Jsonl => self.json_row(row, real)?,
            Format::Table => {
                let cells = lossy(self.texts(row, real)?);
                self.table.push(&mut self.out, cells)?;
            }
        }
        self.count += 1;
        Ok(())
    }

    fn json_row(&mut self, row: &rusqlite::Row<'_>, real: &mut RealText<'_>) -> anyhow::Result<()> {
        let line = &mut self.line;
        line.clear();
        if self.format == Format::Json {
            line.push_str(if self.count == 0 { "\n  " } else { ",\n  " });
        }
        line.push('{');
        for (i, name) in self.names.iter().enumerate() {
            if i > 0 {
                line.push_str(", ");
            }
            push_json_str(line, name, false);
            line.push_str(": ");
            push_json_value(line, row.get_ref_unwrap(i), real)?;
        }
        line.push('}');
        if self.format == Format::Jsonl {
            line.push('\n');
        }
        self.out.write_all(line.as_bytes())?;
        Ok(())
    }

    /// Closes the document (json's bracket, the table's remaining rows) and flushes.
    fn finish(mut self) -> anyhow::Result<()> {
        match self.format {
            Format::Json => self
                .out
                .write_all(if self.count == 0 { b"]\n" } else { b"\n]\n" })?,
            Format::Table => self.table.finish(&mut self.out, self.count)?,
            _ => {}
        }
        self.out.flush()?;
        Ok(())
    }
}

/// An aligned table, streamed: the first [`TABLE_SAMPLE_ROWS`] rows are held to size the
/// columns (capped at [`TABLE_MAX_WIDTH`]), then every row is written as it comes.
struct Table {
    names: Vec<String>,
    widths: Vec<usize>,
    sample: Vec<Vec<String>>,
    started: bool,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

impl Table {
    fn new(names: &[String]) -> Table {
        Table {
            names: names.to_vec(),
            widths: names.iter().map(|n| width(n)).collect(),
            sample: Vec::new(),
            started: false,
        }
    }

    fn push(&mut self, out: &mut impl Write, cells: Vec<String>) -> std::io::Result<()> {
        if self.started {
            return self.print_row(out, &cells);
        }
        for (i, cell) in cells.iter().enumerate() {
            self.widths[i] = self.widths[i].max(width(cell).min(TABLE_MAX_WIDTH));
        }
        self.sample.push(cells);
        if self.sample.len() >= TABLE_SAMPLE_ROWS {
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
        Ok(())
    }

    fn print_row(&self, out: &mut impl Write, cells: &[String]) -> std::io::Result<()> {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let shown: String = cell.replace('\n', "\\n");
            line.push_str(&shown);
            if i + 1 < cells.len() {
                line.push_str(&" ".repeat(self.widths[i].saturating_sub(width(&shown))));
            }
        }
        writeln!(out, "{}", line.trim_end())
    }

    fn finish(&mut self, out: &mut impl Write, count: u64) -> std::io::Result<()> {
        if !self.started {
            self.start(out)?;
        }
        writeln!(out, "({})", cohortdb::textfmt::count(count, "row"))
    }
}
