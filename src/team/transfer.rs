//! Moving rows between stores, streamed (never a whole table in memory): read one batch's or
//! record's rows of a table from an SQLite store ([`sqlite_rows`]) or several from PostgreSQL
//! ([`pg_rows`]), and write them into an SQLite store ([`SqliteSink`], prepared INSERTs inside
//! the caller's transaction) or PostgreSQL ([`pg_copy`], binary COPY — the fast path; the
//! record row by INSERT, for its numeric seed).

use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::Transaction;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use rusqlite::types::Value;
use rusqlite::{Connection, Statement};

use super::Pg;
use super::queries;
use super::tables::{self, Kind, Table};
use crate::error::{DbContext, Result};

/// A row: its values in the table's column order.
pub(crate) type Row = Vec<Value>;

/// Reads the rows of `table` for `key` (a batch id or cohort number) from an SQLite store,
/// checking each value's kind, and hands each to `each`. Returns how many.
pub(crate) fn sqlite_rows(
    conn: &Connection,
    store: &str,
    table: Table,
    key: i64,
    each: &mut dyn FnMut(Row) -> Result<()>,
) -> Result<u64> {
    sqlite_query_rows(conn, store, table, table.sqlite_select(), &[&key], each)
}

/// Reads rows of `table`'s columns from any SQLite statement (a build's scratch tables).
pub(crate) fn sqlite_query_rows(
    conn: &Connection,
    store: &str,
    table: Table,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
    each: &mut dyn FnMut(Row) -> Result<()>,
) -> Result<u64> {
    let mut stmt = conn.prepare_cached(sql).db("team_rows_select")?;
    let mut rows = stmt.query(params).db("team_rows_select")?;
    let columns = table.columns();
    let mut count = 0;
    while let Some(r) = rows.next().db("team_rows_select")? {
        let mut row = Vec::with_capacity(columns.len());
        for (i, (name, kind)) in columns.iter().enumerate() {
            let value: Value = r.get(i).db("team_rows_select")?;
            row.push(tables::check(store, table, name, *kind, value)?);
        }
        each(row)?;
        count += 1;
    }
    Ok(count)
}

/// Reads the rows of `table` for several batches or records (`keys`) from PostgreSQL, in key
/// order, and hands each to `each`. Returns how many.
pub(crate) fn pg_rows(
    tx: &mut Transaction<'_>,
    store: &str,
    table: Table,
    keys: &[i64],
    each: &mut dyn FnMut(Row) -> Result<()>,
) -> Result<u64> {
    let columns = table.columns();
    let mut rows = tx
        .query_raw(table.pg_select(), [&keys])
        .pg(store, "team_rows_select")?;
    let mut count = 0;
    while let Some(r) = rows.next().pg(store, "team_rows_select")? {
        let mut row = Vec::with_capacity(columns.len());
        for (i, (_, kind)) in columns.iter().enumerate() {
            let value = match kind {
                Kind::Int => Value::Integer(r.try_get::<_, i64>(i).pg(store, "team_rows_select")?),
                Kind::OptInt => r
                    .try_get::<_, Option<i64>>(i)
                    .pg(store, "team_rows_select")?
                    .map_or(Value::Null, Value::Integer),
                Kind::Text => Value::Text(r.try_get::<_, String>(i).pg(store, "team_rows_select")?),
                Kind::OptText | Kind::Seed => r
                    .try_get::<_, Option<String>>(i)
                    .pg(store, "team_rows_select")?
                    .map_or(Value::Null, Value::Text),
                Kind::Bytes => {
                    Value::Blob(r.try_get::<_, Vec<u8>>(i).pg(store, "team_rows_select")?)
                }
                Kind::OptBytes => r
                    .try_get::<_, Option<Vec<u8>>>(i)
                    .pg(store, "team_rows_select")?
                    .map_or(Value::Null, Value::Blob),
                Kind::OptReal => r
                    .try_get::<_, Option<f64>>(i)
                    .pg(store, "team_rows_select")?
                    .map_or(Value::Null, Value::Real),
            };
            row.push(value);
        }
        each(row)?;
        count += 1;
    }
    Ok(count)
}

/// Prepared INSERTs into an SQLite store, one per table, inside the caller's transaction.
pub(crate) struct SqliteSink<'c> {
    conn: &'c Connection,
    statements: Vec<(Table, Statement<'c>)>,
}

impl<'c> SqliteSink<'c> {
    /// Inserts into `conn` (a transaction the caller commits).
    pub(crate) fn new(conn: &'c Connection) -> SqliteSink<'c> {
        SqliteSink {
            conn,
            statements: Vec::new(),
        }
    }

    /// Inserts one row of `table`.
    pub(crate) fn insert(&mut self, table: Table, row: &[Value]) -> Result<()> {
        let index = match self.statements.iter().position(|(t, _)| *t == table) {
            Some(i) => i,
            None => {
                let stmt = self
                    .conn
                    .prepare(table.sqlite_insert())
                    .db("team_row_insert")?;
                self.statements.push((table, stmt));
                self.statements.len() - 1
            }
        };
        let params = table
            .columns()
            .iter()
            .zip(row)
            .map(|((_, kind), v)| tables::sqlite_param(*kind, v));
        self.statements[index]
            .1
            .execute(rusqlite::params_from_iter(params))
            .db("team_row_insert")?;
        Ok(())
    }
}

/// A value as PostgreSQL's binary format writes it.
#[derive(Debug)]
struct PgValue<'a>(&'a Value);

impl ToSql for PgValue<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => i.to_sql(ty, out),
            Value::Real(r) => r.to_sql(ty, out),
            Value::Text(t) => t.as_str().to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// The PostgreSQL type of a column kind (every integer column is bigint).
fn pg_type(kind: Kind) -> Type {
    match kind {
        Kind::Int | Kind::OptInt => Type::INT8,
        Kind::Text | Kind::OptText | Kind::Seed => Type::TEXT,
        Kind::Bytes | Kind::OptBytes => Type::BYTEA,
        Kind::OptReal => Type::FLOAT8,
    }
}

/// A binary COPY into one table of PostgreSQL, inside the caller's transaction.
pub(crate) struct PgCopy<'t> {
    writer: BinaryCopyInWriter<'t>,
    store: String,
    rows: u64,
}

/// Starts a binary COPY of rows into `table` (not `cohort_records`: see [`pg_insert_record`]).
pub(crate) fn pg_copy<'t>(
    tx: &'t mut Transaction<'_>,
    store: &str,
    table: Table,
) -> Result<PgCopy<'t>> {
    let types: Vec<Type> = table.columns().iter().map(|(_, k)| pg_type(*k)).collect();
    let sql = copy_sql(table);
    let sink = tx.copy_in(sql).pg(store, "team_copy")?;
    Ok(PgCopy {
        writer: BinaryCopyInWriter::new(sink, &types),
        store: store.to_string(),
        rows: 0,
    })
}

impl PgCopy<'_> {
    /// Sends one row.
    pub(crate) fn write(&mut self, row: &[Value]) -> Result<()> {
        let values: Vec<PgValue<'_>> = row.iter().map(PgValue).collect();
        let refs: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        self.writer.write(&refs).pg(&self.store, "team_copy")?;
        self.rows += 1;
        Ok(())
    }

    /// Ends the COPY (the server checks the rows now); returns how many were sent.
    pub(crate) fn finish(self) -> Result<u64> {
        let store = self.store;
        self.writer.finish().pg(&store, "team_copy")?;
        Ok(self.rows)
    }
}

/// `sql/postgres/<table>_copy.sql`.
pub(crate) fn copy_sql(table: Table) -> &'static str {
    match table {
        Table::CatalogConcepts => include_str!("../../sql/postgres/catalog_concepts_copy.sql"),
        Table::CatalogTemplates => include_str!("../../sql/postgres/catalog_templates_copy.sql"),
        Table::CatalogLlmModels => include_str!("../../sql/postgres/catalog_llm_models_copy.sql"),
        Table::CatalogComboMappings => {
            include_str!("../../sql/postgres/catalog_combo_mappings_copy.sql")
        }
        Table::CatalogReplication => {
            include_str!("../../sql/postgres/catalog_replication_copy.sql")
        }
        Table::ImportBatches => include_str!("../../sql/postgres/import_batches_copy.sql"),
        Table::CohortSpecFiles => include_str!("../../sql/postgres/cohort_spec_files_copy.sql"),
        Table::CohortTemplateModes => {
            include_str!("../../sql/postgres/cohort_template_modes_copy.sql")
        }
        Table::CohortValues => include_str!("../../sql/postgres/cohort_values_copy.sql"),
        Table::CohortMembers => include_str!("../../sql/postgres/cohort_members_copy.sql"),
        Table::GenIds => include_str!("../../sql/postgres/gen_ids_copy.sql"),
        Table::CohortReuse => include_str!("../../sql/postgres/cohort_reuse_copy.sql"),
        Table::ResultsGenerations => {
            include_str!("../../sql/postgres/results_generations_copy.sql")
        }
        Table::ResultsFiles => include_str!("../../sql/postgres/results_files_copy.sql"),
        Table::ResultsSuperseded => include_str!("../../sql/postgres/results_superseded_copy.sql"),
        Table::ResultsObservations => {
            include_str!("../../sql/postgres/results_observations_copy.sql")
        }
        Table::ResultsImports => include_str!("../../sql/postgres/results_imports_copy.sql"),
        // The record row goes in by INSERT (its seed is numeric); no COPY statement exists.
        Table::CohortRecords => "",
    }
}

/// Writes a cohort record row (last: it completes the record).
pub(crate) fn pg_insert_record(tx: &mut Transaction<'_>, store: &str, row: &[Value]) -> Result<()> {
    let values: Vec<PgValue<'_>> = row.iter().map(PgValue).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
    tx.execute(queries::RECORDS_INSERT, &refs)
        .pg(store, "cohort_records_insert")?;
    Ok(())
}

/// Copies one batch's or record's rows of every table of its group from an SQLite store into
/// PostgreSQL, in table order (the batch or record row last), renumbered by `renumber` (which
/// rewrites a row in place: the identity for a mirror's publish). Returns the rows per table.
pub(crate) fn sqlite_to_pg(
    source: &Connection,
    tx: &mut Transaction<'_>,
    store: &str,
    tables: &[Table],
    key: i64,
    renumber: &dyn Fn(Table, &mut Row),
) -> Result<u64> {
    let mut total = 0;
    for &table in tables {
        if table == Table::CohortRecords {
            sqlite_rows(source, store, table, key, &mut |mut row| {
                renumber(table, &mut row);
                pg_insert_record(tx, store, &row)
            })?;
            total += 1;
            continue;
        }
        let mut copy = pg_copy(tx, store, table)?;
        sqlite_rows(source, store, table, key, &mut |mut row| {
            renumber(table, &mut row);
            copy.write(&row)
        })?;
        total += copy.finish()?;
    }
    Ok(total)
}
