//! Writing design rows as the reference CLI does (docs/reference.md §2.10, D8): CSV with CRLF line
//! ends (LF on stdout) and minimal quoting, or JSONL in `json.dumps` style. Rows are written as
//! SQLite produces them; nothing is buffered beyond the writer.

use std::io::{self, Write};

use super::stream::Cell;
use crate::spec::Plan;
use crate::textfmt::{push_json_str, write_csv_field, write_csv_record};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// One JSON object a line.
    Jsonl,
}

impl Format {
    /// Parses `csv` / `jsonl`.
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "csv" => Some(Format::Csv),
            "jsonl" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// Where one output column is in the product query: its value (or Python repr), and for a
/// composite its JSON form.
#[derive(Debug, Clone, Copy)]
struct OutCol {
    value: usize,
    json: Option<usize>,
}

/// Streams design rows to `out`.
pub struct RowWriter<W: Write> {
    out: W,
    format: Format,
    line_end: &'static [u8],
    cols: Vec<OutCol>,
    /// JSONL key prefixes: `{"a": ` then `, "b": ` …
    prefixes: Vec<Vec<u8>>,
    scratch: String,
}

impl<W: Write> RowWriter<W> {
    /// A writer for `plan`'s columns, whose product query was built from
    /// [`super::output_selections`]. `line_end` is `\r\n` for files, `\n` for stdout.
    pub fn new(out: W, format: Format, plan: &Plan, line_end: &'static [u8]) -> Self {
        let mut cols = Vec::with_capacity(plan.columns.len());
        let mut next = 0;
        for column in &plan.columns {
            if column.composite {
                cols.push(OutCol {
                    value: next,
                    json: Some(next + 1),
                });
                next += 2;
            } else {
                cols.push(OutCol {
                    value: next,
                    json: None,
                });
                next += 1;
            }
        }
        let prefixes = plan
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut p = String::from(if i == 0 { "{" } else { ", " });
                push_json_str(&mut p, &c.name, true);
                p.push_str(": ");
                p.into_bytes()
            })
            .collect();
        RowWriter {
            out,
            format,
            line_end,
            cols,
            prefixes,
            scratch: String::new(),
        }
    }

    /// Writes the CSV header (nothing for JSONL): the column names, or with zero rows exactly
    /// `field_order` (docs/reference.md §2.10).
    pub fn header(&mut self, plan: &Plan) -> io::Result<()> {
        if self.format != Format::Csv {
            return Ok(());
        }
        if plan.row_count() == 0 {
            write_csv_record(&mut self.out, &plan.field_order, self.line_end)
        } else {
            let names: Vec<&str> = plan.columns.iter().map(|c| c.name.as_str()).collect();
            write_csv_record(&mut self.out, &names, self.line_end)
        }
    }

    /// Writes one row of the product query.
    pub fn row(&mut self, row: &[Cell<'_>]) -> io::Result<()> {
        match self.format {
            Format::Csv => self.csv_row(row),
            Format::Jsonl => self.jsonl_row(row),
        }
    }

    fn csv_row(&mut self, row: &[Cell<'_>]) -> io::Result<()> {
        let lone = self.cols.len() == 1;
        for (i, col) in self.cols.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            match row[col.value] {
                Cell::Text(t) => write_csv_field(&mut self.out, t, lone)?,
                Cell::Int(n) => write!(self.out, "{n}")?,
                Cell::Null => write_csv_field(&mut self.out, b"", lone)?,
            }
        }
        self.out.write_all(self.line_end)
    }

    fn jsonl_row(&mut self, row: &[Cell<'_>]) -> io::Result<()> {
        if self.cols.is_empty() {
            self.out.write_all(b"{")?;
        }
        for (i, col) in self.cols.iter().enumerate() {
            self.out.write_all(&self.prefixes[i])?;
            match (row[col.json.unwrap_or(col.value)], col.json.is_some()) {
                (Cell::Text(t), true) => self.out.write_all(t)?,
                (Cell::Text(t), false) => write_json_ascii(&mut self.out, t, &mut self.scratch)?,
                (Cell::Int(n), _) => write!(self.out, "{n}")?,
                (Cell::Null, _) => self.out.write_all(b"null")?,
            }
        }
        self.out.write_all(b"}\n")
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A JSON string with `ensure_ascii`: printable ASCII without `"` or `\` is written as is (the
/// common case), anything else goes through the full escaper.
fn write_json_ascii<W: Write + ?Sized>(
    out: &mut W,
    text: &[u8],
    scratch: &mut String,
) -> io::Result<()> {
    if text
        .iter()
        .all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.write_all(b"\"")?;
        out.write_all(text)?;
        return out.write_all(b"\"");
    }
    scratch.clear();
    push_json_str(scratch, &String::from_utf8_lossy(text), true);
    out.write_all(scratch.as_bytes())
}
