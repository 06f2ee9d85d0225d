//! `query`: one read-only statement, its parameters bound, its rows streamed to a [`RowSink`]
//! (the CLI's formats, Python's batches) as SQLite steps — never collected.

use std::time::Duration;

use rusqlite::types::ValueRef;

use super::{Context, Workspace};
use crate::error::{Error, Result, UsageError};
use crate::query::{RealText, Stop};

pub use crate::query::Params;

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
        let mut store = self.reader(ctx)?;
        let reason =
            crate::query::install_limits(store.conn_mut(), request.timeout, ctx.cancel.flag())?;
        let why = || reason.lock().ok().and_then(|r| *r);
        let conn = store.conn();
        let mut real = RealText::new(conn)?;
        let mut stmt = crate::query::prepare_read_only(conn, &request.sql)?;
        crate::query::bind(&mut stmt, &request.params)?;
        let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
        let width = names.len();
        let mut rows = stmt.raw_query();
        let mut next = rows
            .next()
            .map_err(|e| stopped(e, request.timeout, why()))?;
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
