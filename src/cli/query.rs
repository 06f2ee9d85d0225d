//! `cohortdb query SQL`: one read-only statement, streamed as csv, json, jsonl, or an aligned
//! table (the default on a terminal).

use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use cohortdb::Store;
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

pub fn run(global: &Global, args: QueryArgs) -> anyhow::Result<ExitCode> {
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Csv
    });
    let store = Store::open_read_only(&global.db)?;
    let mut stmt = cohortdb::query::prepare_read_only(store.conn(), &args.sql)?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let mut rows = stmt.query([]).map_err(|e| cohortdb::Error::Db {
        query: "query",
        source: e,
    })?;
    let stdout = super::out::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut line = String::new();
    let mut table: Vec<Vec<String>> = Vec::new();
    if format == Format::Csv {
        write_csv_record(&mut out, &names, b"\n")?;
    }
    if format == Format::Json {
        out.write_all(b"[")?;
    }
    let mut count = 0u64;
    while let Some(row) = rows.next().map_err(|e| cohortdb::Error::Db {
        query: "query",
        source: e,
    })? {
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
                table.push(
                    (0..names.len())
                        .map(|i| {
                            String::from_utf8_lossy(&text_of(row.get_ref_unwrap(i))).into_owned()
                        })
                        .collect(),
                );
            }
        }
        count += 1;
    }
    match format {
        Format::Json => out.write_all(if count == 0 { b"]\n" } else { b"\n]\n" })?,
        Format::Table => write_table(&mut out, &names, &table)?,
        _ => {}
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_table(
    out: &mut impl Write,
    names: &[String],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = names.iter().map(|n| width(n)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(cell).min(60));
        }
    }
    let print_row = |out: &mut dyn Write, cells: &[String]| -> std::io::Result<()> {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let shown: String = cell.replace('\n', "\\n");
            line.push_str(&shown);
            if i + 1 < cells.len() {
                line.push_str(&" ".repeat(widths[i].saturating_sub(width(&shown))));
            }
        }
        writeln!(out, "{}", line.trim_end())
    };
    print_row(out, names)?;
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    print_row(out, &rule)?;
    for row in rows {
        print_row(out, row)?;
    }
    writeln!(
        out,
        "({} row{})",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    )
}
