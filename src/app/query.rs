//! `query`: one read-only statement, its parameters bound, its rows streamed to a [`RowSink`]
//! (the CLI's formats, Python's batches) as SQLite steps — never collected.

use std::time::Duration;

use rusqlite::types::ValueRef;

use super::{Context, Workspace};
use crate::error::{Error, Result, UsageError};
use crate::query::{RealText, Stop};

pub use crate::query::{ColumnType, Params};

/// `query SQL`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryRequest {
    /// One statement that only reads.
    pub sql: String,
    /// Its parameters' values.
    pub params: Params,
    /// Stop it after this long.
    pub timeout: Option<Duration>,
}

/// Receives a query's result as it is read.
pub trait RowSink {
    /// The result's column types as the engine declares them, once, before
    /// [`columns`](RowSink::columns) (Parquet's schema; the text formats ignore them).
    fn column_types(&mut self, types: &[ColumnType]) -> Result<()> {
        let _ = types;
        Ok(())
    }
    /// The result's column names, once, before any row (also for an empty result).
    fn columns(&mut self, names: &[String]) -> Result<()>;
    /// One row; `real` formats floats as SQLite prints them. `Ok(false)` stops the statement
    /// (nobody reads any more: a closed pipe, a dropped iterator) without an error.
    fn row(&mut self, row: &[ValueRef<'_>], real: &mut RealText<'_>) -> Result<bool>;
}

/// Why a statement stopped early, as an error.
fn stopped(e: rusqlite::Error, timeout: Option<Duration>, reason: Option<Stop>) -> Error {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) {
        return match (reason, timeout) {
            (Some(Stop::Timeout), Some(t)) => UsageError::QueryStopped { timeout: Some(t) }.into(),
            _ => Error::Interrupted,
        };
    }
    Error::Db {
        query: "query",
        source: e,
    }
}

impl Workspace {
    /// `query`: runs one read-only statement (docs/cli.md `query`, docs/reliability.md "The
    /// read-only query") and streams its rows into `sink`. The first row is read before the
    /// sink sees the columns, so a statement that fails at once reports only its error.
    pub fn query(
        &self,
        request: &QueryRequest,
        ctx: Context<'_>,
        sink: &mut dyn RowSink,
    ) -> Result<()> {
        if let Some(url) = self.team_url()? {
            return on_server(&url, request, ctx, sink);
        }
        let mut store = self.reader(ctx)?;
        let reason =
            crate::query::install_limits(store.conn_mut(), request.timeout, ctx.cancel.flag())?;
        let why = || reason.lock().ok().and_then(|r| *r);
        let conn = store.conn();
        let mut real = RealText::new(conn)?;
        let mut stmt = crate::query::prepare_read_only(conn, &request.sql)?;
        crate::query::bind(&mut stmt, &request.params)?;
        let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
        let types: Vec<ColumnType> = stmt
            .columns()
            .map(|c| ColumnType::from_declared(c.decl_type()))
            .collect();
        let width = names.len();
        let mut rows = stmt.raw_query();
        let mut next = rows
            .next()
            .map_err(|e| stopped(e, request.timeout, why()))?;
        sink.column_types(&types)?;
        sink.columns(&names)?;
        while let Some(row) = next {
            let values = (0..width)
                .map(|i| row.get_ref(i))
                .collect::<rusqlite::Result<Vec<ValueRef<'_>>>>()
                .map_err(|e| Error::Db {
                    query: "query",
                    source: e,
                })?;
            if !sink.row(&values, &mut real)? {
                return Ok(());
            }
            next = rows
                .next()
                .map_err(|e| stopped(e, request.timeout, why()))?;
        }
        Ok(())
    }
}

/// `query` on a team store: the statement runs on the server (`crate::team::query`: a read-only
/// transaction with the statement timeout, rows streamed through a portal), its rows handed to
/// `sink` as SQLite values, floats formatted as SQLite prints them (docs/postgres.md, "query").
#[cfg(feature = "postgres")]
fn on_server(
    url: &crate::team::PgUrl,
    request: &QueryRequest,
    ctx: Context<'_>,
    sink: &mut dyn RowSink,
) -> Result<()> {
    struct Adapter<'s, 'r> {
        sink: &'s mut dyn RowSink,
        real: RealText<'r>,
        ctx: Context<'s>,
    }
    impl crate::team::query::RowSink for Adapter<'_, '_> {
        fn column_types(&mut self, types: &[ColumnType]) -> Result<()> {
            self.sink.column_types(types)
        }
        fn columns(&mut self, names: &[String]) -> Result<()> {
            self.sink.columns(names)
        }
        fn row(&mut self, values: &[rusqlite::types::Value]) -> Result<bool> {
            self.ctx.cancel.check()?;
            let cells: Vec<ValueRef<'_>> = values.iter().map(ValueRef::from).collect();
            self.sink.row(&cells, &mut self.real)
        }
    }
    let params = server_params(url, &request.params)?;
    let mut store = crate::team::TeamStore::open_existing(url)?;
    // A stop cancels the statement on the server at once (not at its timeout).
    ctx.cancel.on_cancel(store.canceller());
    ctx.cancel.check()?;
    // SQLite's text of a real, for the same output on both engines.
    let scratch = rusqlite::Connection::open_in_memory().map_err(|e| Error::Db {
        query: "open in-memory",
        source: e,
    })?;
    let mut adapter = Adapter {
        sink,
        real: RealText::new(&scratch)?,
        ctx,
    };
    crate::team::query::query(
        &mut store,
        &request.sql,
        &params,
        request.timeout,
        &mut adapter,
    )
    .map_err(|e| ctx.cancel.explain(e))?;
    Ok(())
}

#[cfg(not(feature = "postgres"))]
fn on_server(
    url: &crate::team::PgUrl,
    _: &QueryRequest,
    _: Context<'_>,
    _: &mut dyn RowSink,
) -> Result<()> {
    Err(crate::team::team_error(
        &url.to_string(),
        crate::error::TeamErrorKind::Disabled,
    ))
}

/// A [`RowSink`] that writes the result as a Parquet file into `W`, one row group at a time
/// (`query --format parquet`, Python's `query_arrow`; column types by docs/decisions.md D31).
#[cfg(feature = "parquet")]
pub struct ParquetSink<W: std::io::Write + Send> {
    out: Option<W>,
    shown: String,
    declared: Vec<ColumnType>,
    writer: Option<crate::query::columnar::ParquetWriter<W>>,
    closed: bool,
}

#[cfg(feature = "parquet")]
impl<W: std::io::Write + Send> ParquetSink<W> {
    /// A sink writing into `out`; `shown` names it in errors (a path, `stdout`).
    pub fn new(out: W, shown: &str) -> Self {
        ParquetSink {
            out: Some(out),
            shown: shown.to_string(),
            declared: Vec::new(),
            writer: None,
            closed: false,
        }
    }

    /// Writes the last row group and the footer; returns the output, or `None` when its reader
    /// went away (a closed pipe) and nothing more was written.
    pub fn finish(mut self) -> Result<Option<W>> {
        if self.closed {
            return Ok(None);
        }
        let Some(writer) = self.writer.take() else {
            return Err(Error::Internal {
                invariant: "a query names its columns before it ends",
                detail: String::new(),
            });
        };
        let (written, out) = writer.finish()?;
        Ok(match written {
            crate::query::columnar::Written::Yes => out,
            crate::query::columnar::Written::Closed => None,
        })
    }
}

#[cfg(feature = "parquet")]
impl<W: std::io::Write + Send> RowSink for ParquetSink<W> {
    fn column_types(&mut self, types: &[ColumnType]) -> Result<()> {
        self.declared = types.to_vec();
        Ok(())
    }

    fn columns(&mut self, names: &[String]) -> Result<()> {
        let Some(out) = self.out.take() else {
            return Err(Error::Internal {
                invariant: "a query names its columns once",
                detail: String::new(),
            });
        };
        self.writer = Some(crate::query::columnar::ParquetWriter::new(
            out,
            &self.shown,
            names,
            &self.declared,
        )?);
        Ok(())
    }

    fn row(&mut self, row: &[ValueRef<'_>], _: &mut RealText<'_>) -> Result<bool> {
        let Some(writer) = self.writer.as_mut() else {
            return Ok(true);
        };
        match writer.row(row)? {
            crate::query::columnar::Written::Yes => Ok(true),
            crate::query::columnar::Written::Closed => {
                self.closed = true;
                Ok(false)
            }
        }
    }
}

/// The parameters as the server binds them: by name (a positional one by its number, `?N`), as
/// text (the server parses each as the type it infers for its place). NULL and blobs have no
/// such form.
#[cfg(feature = "postgres")]
fn server_params(url: &crate::team::PgUrl, params: &Params) -> Result<Vec<(String, String)>> {
    use rusqlite::types::Value;
    let text = |name: &str, value: &Value| match value {
        Value::Integer(i) => Ok(i.to_string()),
        Value::Real(r) => Ok(r.to_string()),
        Value::Text(t) => Ok(t.clone()),
        Value::Null | Value::Blob(_) => Err(crate::team::team_error(
            &url.to_string(),
            crate::error::TeamErrorKind::bad_value(
                "query",
                &format!(
                    "parameter {name:?}: a team store binds parameters as text; NULL and blobs are not supported"
                ),
            ),
        )),
    };
    match params {
        Params::None => Ok(Vec::new()),
        // By number: `?1`, `?2`, … (the bare `?`s in order), as SQLite binds them.
        Params::Positional(values) => values
            .iter()
            .enumerate()
            .map(|(i, value)| {
                let name = format!("?{}", i + 1);
                text(&name, value).map(|t| (name, t))
            })
            .collect(),
        Params::Named(values) => values
            .iter()
            .map(|(name, value)| text(name, value).map(|t| (name.clone(), t)))
            .collect(),
    }
}
