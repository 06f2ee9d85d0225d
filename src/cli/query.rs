//! `cohortdb query SQL`: one read-only statement, streamed as csv, json, jsonl, or an aligned
//! table (the default on a terminal).

use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, ValueEnum};
use cohortdb::Store;
use cohortdb::query::Stop;
use cohortdb::textfmt::{push_json_str, write_csv_record};
use rusqlite::types::ValueRef;

use super::Global;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// One SQL statement that only reads (views: membership, cohorts, templates, llm_models,
    /// concepts, combo_mappings, …).
    #[arg(value_name = "SQL")]
    sql: String,
    /// Output format; default `table` on a terminal, `csv` otherwise.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Stop the statement after this long (`30s`, `5m`, `1h`); exit 2. Ctrl-C also stops it.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    timeout: Option<Duration>,
}

fn text_of(value: ValueRef<'_>) -> Vec<u8> {
    match value {
        ValueRef::Null => Vec::new(),
        ValueRef::Integer(i) => i.to_string().into_bytes(),
        ValueRef::Real(f) => f.to_string().into_bytes(),
        ValueRef::Text(t) => t.to_vec(),
        ValueRef::Blob(b) => format!("x'{}'", hex(b)).into_bytes(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn push_json_value(out: &mut String, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => out.push_str("null"),
        ValueRef::Integer(i) => out.push_str(&i.to_string()),
        ValueRef::Real(f) if f.is_finite() => out.push_str(&f.to_string()),
        ValueRef::Real(_) => out.push_str("null"),
        ValueRef::Text(t) => push_json_str(out, &String::from_utf8_lossy(t), false),
        ValueRef::Blob(b) => push_json_str(out, &hex(b), false),
    }
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
    let reason = cohortdb::query::install_limits(store.conn_mut(), args.timeout, stop)?;
    let mut stmt = cohortdb::query::prepare_read_only(store.conn(), &args.sql)?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let mut rows = stmt
        .query([])
        .map_err(|e| query_error(e, args.timeout, &reason))?;
    // The first row is read before anything is written: a statement that fails at once prints
    // its error only, not a header followed by an error.
    let mut next = rows
        .next()
        .map_err(|e| query_error(e, args.timeout, &reason))?;
    let stdout = super::out::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut line = String::new();
    let mut table = Table::new(&names);
    if format == Format::Csv {
        write_csv_record(&mut out, &names, b"\n")?;
    }
    if format == Format::Json {
        out.write_all(b"[")?;
    }
    let mut count = 0u64;
    while let Some(row) = next {
        match format {
            Format::Csv => {
                let fields: Vec<Vec<u8>> = (0..names.len())
                    .map(|i| text_of(row.get_ref_unwrap(i)))
                    .collect();
                write_csv_record(&mut out, &fields, b"\n")?;
            }
            Format::Json | Format::Jsonl => {
                line.clear();
                if format == Format::Json {
                    line.push_str(if count == 0 { "\n  " } else { ",\n  " });
                }
                line.push('{');
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        line.push_str(", ");
                    }
                    push_json_str(&mut line, name, false);
                    line.push_str(": ");
                    push_json_value(&mut line, row.get_ref_unwrap(i));
                }
                line.push('}');
                if format == Format::Jsonl {
                    line.push('\n');
                }
                out.write_all(line.as_bytes())?;
            }
            Format::Table => {
                let cells = (0..names.len())
                    .map(|i| String::from_utf8_lossy(&text_of(row.get_ref_unwrap(i))).into_owned())
                    .collect();
                table.push(&mut out, cells)?;
            }
        }
        count += 1;
        next = rows
            .next()
            .map_err(|e| query_error(e, args.timeout, &reason))?;
    }
    match format {
        Format::Json => out.write_all(if count == 0 { b"]\n" } else { b"\n]\n" })?,
        Format::Table => table.finish(&mut out, count)?,
        _ => {}
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
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
