//! [`Plan`] → SQL that SQLite runs to produce the design rows, in the reference's order.
//!
//! Each final axis is a temp table `t<i>(ord, c0, c1, …)` holding the components the output
//! needs, loaded with bound parameters; the product is `t0 CROSS JOIN t1 … ORDER BY t0.ord, …`
//! (the last axis varies fastest, docs/reference.md §2.7.5); with a seed, a recursive CTE walks the
//! shuffled product indices instead (§2.7.6). Pair, tuple and tie expansion and `field_order`
//! are the final projection: which component of which table each output column selects.
//!
//! The same plan always gives the same SQL text. Rows are streamed from SQLite, never held.

pub mod emit;
pub mod output;
pub mod shuffle;
pub mod stream;

use std::sync::Arc;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Statement};

use crate::error::{DbContext, Error, Result, SpecErrorKind, UsageError};
use crate::spec::{Plan, Value};
use shuffle::Seed;

/// What a component column carries, in compile output.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Form {
    /// The scalar value itself (TEXT or INTEGER).
    Value,
    /// A composite as Python's `str()` prints it (CSV output).
    Repr,
    /// A composite as a JSON array (JSONL output).
    Json,
}

/// One source of a selected column: component `path` of final axis `axis`, carried as `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source<K> {
    /// Index into [`Plan::axes`].
    pub axis: usize,
    /// Path inside the level value.
    pub path: Vec<usize>,
    /// What the table column holds for each level.
    pub kind: K,
}

/// One column of the product query: the first non-null of its sources, else `default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection<K> {
    /// The alias in the select list (an output column or role name).
    pub alias: String,
    /// Candidate sources in priority order (one for compile output).
    pub sources: Vec<Source<K>>,
    /// The value when every source is null.
    pub default: Option<i64>,
}

impl<K> Selection<K> {
    /// A column with one source.
    pub fn single(alias: &str, axis: usize, path: &[usize], kind: K) -> Self {
        Selection {
            alias: alias.to_string(),
            sources: vec![Source {
                axis,
                path: path.to_vec(),
                kind,
            }],
            default: None,
        }
    }
}

/// The component columns of one axis table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableLayout<K> {
    /// `(path, kind)` per column `c0, c1, …`.
    pub columns: Vec<(Vec<usize>, K)>,
}

/// A plan compiled to SQL: table layouts and the product query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled<K> {
    /// One table per final axis, in axis order.
    pub tables: Vec<TableLayout<K>>,
    /// The projected columns.
    pub select: Vec<emit::Projection>,
    /// Whether the product is shuffled.
    pub seeded: bool,
}

impl<K: Clone + PartialEq> Compiled<K> {
    /// Lays out the tables for `selections` (identical components share a table column).
    pub fn new(plan: &Plan, selections: &[Selection<K>], seeded: bool) -> Self {
        let mut tables: Vec<TableLayout<K>> = plan
            .axes
            .iter()
            .map(|_| TableLayout {
                columns: Vec::new(),
            })
            .collect();
        let mut select = Vec::with_capacity(selections.len());
        for s in selections {
            let mut sources = Vec::with_capacity(s.sources.len());
            for source in &s.sources {
                let table = &mut tables[source.axis];
                let column = match table
                    .columns
                    .iter()
                    .position(|(p, k)| *p == source.path && *k == source.kind)
                {
                    Some(c) => c,
                    None => {
                        table
                            .columns
                            .push((source.path.clone(), source.kind.clone()));
                        table.columns.len() - 1
                    }
                };
                sources.push((source.axis, column));
            }
            select.push(emit::Projection {
                sources,
                default: s.default,
                alias: s.alias.clone(),
            });
        }
        Compiled {
            tables,
            select,
            seeded,
        }
    }

    /// The `create temp table` statements.
    pub fn create_statements(&self) -> Vec<String> {
        self.tables
            .iter()
            .enumerate()
            .map(|(i, t)| emit::create_table(i, t.columns.len()))
            .collect()
    }

    /// The insert statement of table `i`.
    pub fn insert_statement(&self, i: usize) -> String {
        emit::insert_row(i, self.tables[i].columns.len())
    }

    /// The product query.
    pub fn select_statement(&self) -> String {
        emit::select(&self.select, self.tables.len(), self.seeded)
    }
}

/// The selections that compile output needs: one per output column, two for a composite
/// (its CSV and JSON forms).
pub fn output_selections(plan: &Plan) -> Vec<Selection<Form>> {
    let mut out = Vec::new();
    for column in &plan.columns {
        if column.composite {
            for kind in [Form::Repr, Form::Json] {
                out.push(Selection::single(
                    &column.name,
                    column.axis,
                    &column.path,
                    kind,
                ));
            }
        } else {
            out.push(Selection::single(
                &column.name,
                column.axis,
                &column.path,
                Form::Value,
            ));
        }
    }
    out
}

/// The table cell for a compile-output component.
pub fn output_cell(form: &Form, value: &Value) -> SqlValue {
    match (form, value) {
        (Form::Value, Value::Int(i)) => SqlValue::Integer(*i),
        (Form::Value, Value::Str(s)) => SqlValue::Text(s.clone()),
        (Form::Value | Form::Repr, v) => SqlValue::Text(v.py_str()),
        (Form::Json, v) => {
            let mut out = String::new();
            v.push_json(&mut out);
            SqlValue::Text(out)
        }
    }
}

/// The most final axes a product may have: SQLite joins at most 64 tables in one `SELECT`, and
/// a seeded product joins the shuffle's position table as well.
pub const MAX_AXES: usize = 63;

/// Refuses a plan whose product has more than [`MAX_AXES`] axes, naming the count, before any
/// table is made or row written (`explain`, `compile`, `sql` and `build` check it first).
pub fn check_axes(plan: &Plan) -> Result<()> {
    let n = plan.axes.len();
    if n <= MAX_AXES {
        return Ok(());
    }
    Err(UsageError::TooManyAxes {
        axes: n,
        max: MAX_AXES,
    }
    .into())
}

/// Creates and fills the axis tables on `conn` (temp tables, so any connection works, even
/// one on a read-only store). `cell` turns a component value (and where its level was written)
/// into what the column holds.
pub fn load_tables<K: Clone + PartialEq>(
    conn: &Connection,
    plan: &Plan,
    compiled: &Compiled<K>,
    mut cell: impl FnMut(&K, &Value, &crate::error::Location) -> Result<SqlValue>,
) -> Result<()> {
    check_axes(plan)?;
    for (i, table) in compiled.tables.iter().enumerate() {
        conn.execute(&emit::drop_table(i), [])
            .db("drop axis table")?;
        conn.execute(&emit::create_table(i, table.columns.len()), [])
            .db("create axis table")?;
        let mut insert = conn
            .prepare(&compiled.insert_statement(i))
            .db("insert axis level")?;
        let mut params: Vec<SqlValue> = Vec::with_capacity(table.columns.len() + 1);
        for (ord, level) in plan.axes[i].levels.iter().enumerate() {
            params.clear();
            params.push(SqlValue::Integer(ord as i64));
            for (path, kind) in &table.columns {
                let value = level.value.at(path).ok_or_else(|| {
                    Error::spec(
                        level.at.clone(),
                        SpecErrorKind::NoComponent {
                            level: level.value.to_string(),
                            path: path.clone(),
                        },
                    )
                })?;
                params.push(cell(kind, value, &level.at)?);
            }
            insert
                .execute(rusqlite::params_from_iter(params.iter()))
                .db("insert axis level")?;
        }
    }
    Ok(())
}

/// The default `--max-rows`: a product larger than this is refused before any work.
pub const DEFAULT_MAX_ROWS: u128 = 50_000_000;

/// The largest product a seeded compile can shuffle (the permutation is held as `u32`s).
pub const MAX_SHUFFLED_ROWS: u128 = u32::MAX as u128;

/// Prepares the product query on `conn` (tables already loaded). With a seed, registers the
/// `shuffled_index` function over the permutation and binds the strides.
pub fn prepare_product<'c, K: Clone + PartialEq>(
    conn: &'c Connection,
    plan: &Plan,
    compiled: &Compiled<K>,
    seed: Option<&Seed>,
) -> Result<Statement<'c>> {
    prepare_product_into(conn, plan, compiled, seed, "")
}

/// [`prepare_product`] with `prefix` (e.g. `insert into t (…)`) before the product query.
pub fn prepare_product_into<'c, K: Clone + PartialEq>(
    conn: &'c Connection,
    plan: &Plan,
    compiled: &Compiled<K>,
    seed: Option<&Seed>,
    prefix: &str,
) -> Result<Statement<'c>> {
    let sql = format!("{prefix}{}", compiled.select_statement());
    let seed = match seed {
        Some(seed) if compiled.seeded && !plan.axes.is_empty() => seed,
        _ => return conn.prepare(&sql).db("product query"),
    };
    let rows = plan.row_count();
    if rows > MAX_SHUFFLED_ROWS {
        return Err(UsageError::TooManyShuffledRows {
            rows,
            max: MAX_SHUFFLED_ROWS,
        }
        .into());
    }
    // The function must exist before the statement that calls it is prepared.
    let permutation: Arc<Vec<u32>> = Arc::new(shuffle::permutation(seed, rows as u32));
    conn.create_scalar_function(
        "shuffled_index",
        1,
        FunctionFlags::SQLITE_UTF8,
        move |ctx| {
            let pos: i64 = ctx.get(0)?;
            Ok(usize::try_from(pos)
                .ok()
                .and_then(|p| permutation.get(p))
                .map(|&v| i64::from(v)))
        },
    )
    .db("register shuffled_index")?;
    let mut stmt = conn.prepare(&sql).db("product query")?;
    stmt.raw_bind_parameter(1, rows as i64)
        .db("bind row count")?;
    let counts: Vec<u128> = plan.axes.iter().map(|a| a.levels.len() as u128).collect();
    for (k, count) in counts.iter().enumerate() {
        let stride: u128 = counts[k + 1..].iter().product();
        stmt.raw_bind_parameter(2 * k + 2, stride as i64)
            .db("bind stride")?;
        stmt.raw_bind_parameter(2 * k + 3, *count as i64)
            .db("bind count")?;
    }
    Ok(stmt)
}

/// Compiles `plan` and writes its design rows to `writer` (header included), at most `limit`
/// rows. SQLite runs on a worker thread with its own in-memory connection while this thread
/// formats ([`stream::pipeline`]). `out` names the destination in I/O errors. Returns the
/// number of rows written.
pub fn write_design<W: std::io::Write>(
    plan: &Plan,
    seed: Option<&Seed>,
    writer: &mut output::RowWriter<W>,
    limit: Option<u64>,
    out: &str,
) -> Result<u64> {
    let compiled = Compiled::new(plan, &output_selections(plan), seed.is_some());
    let io = |e: std::io::Error| Error::io(out, e);
    writer.header(plan).map_err(io)?;
    let limit = limit.unwrap_or(u64::MAX);
    let mut written = 0u64;
    stream::pipeline(
        compiled.select.len(),
        |sender| {
            let conn = Connection::open_in_memory().db("open in-memory SQLite")?;
            load_tables(&conn, plan, &compiled, |k, v, _| Ok(output_cell(k, v)))?;
            let mut stmt = prepare_product(&conn, plan, &compiled, seed)?;
            let mut rows = stmt.raw_query();
            while let Some(row) = rows.next().db("product query")? {
                if !sender.send(row)? {
                    break;
                }
            }
            Ok(())
        },
        |cells| {
            if written >= limit {
                return Ok(false);
            }
            writer.row(cells).map_err(io)?;
            written += 1;
            Ok(true)
        },
    )?;
    Ok(written)
}

/// Row counts of each table (for `cohortdb sql`'s closing comment).
pub fn table_counts(plan: &Plan) -> Vec<(String, usize)> {
    plan.axes
        .iter()
        .map(|a| (a.name.clone(), a.levels.len()))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::spec::{Bundle, load_bundle, resolve};

    fn plan(text: &str) -> Plan {
        let mut files = BTreeMap::new();
        files.insert("config.yaml".to_string(), text.as_bytes().to_vec());
        resolve(
            &load_bundle(
                &Bundle {
                    config: "config.yaml".into(),
                    files,
                },
                "spec",
            )
            .unwrap(),
        )
        .unwrap()
    }

    fn run(plan: &Plan, seed: Option<i64>) -> (Vec<Vec<String>>, String) {
        let seed = seed.map(Seed::from);
        let seed = seed.as_ref();
        let conn = Connection::open_in_memory().unwrap();
        let compiled = Compiled::new(plan, &output_selections(plan), seed.is_some());
        load_tables(&conn, plan, &compiled, |k, v, _| Ok(output_cell(k, v))).unwrap();
        let mut stmt = prepare_product(&conn, plan, &compiled, seed).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            out.push(
                (0..n)
                    .map(|i| match row.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Text(t) => {
                            format!("Text({:?})", String::from_utf8_lossy(t))
                        }
                        other => format!("{other:?}"),
                    })
                    .collect(),
            );
        }
        let plan_text = {
            let mut eqp = conn
                .prepare(&format!(
                    "explain query plan {}",
                    compiled.select_statement()
                ))
                .unwrap();
            let mut rows = eqp.raw_query();
            let mut details = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                details.push(row.get::<_, String>(3).unwrap());
            }
            details.join("\n")
        };
        (out, plan_text)
    }

    #[test]
    fn the_product_needs_no_sort_and_runs_in_odometer_order() {
        let p = plan("axes: {a: [x, y], b: [1, 2, 3], c: [p, q]}\noutput: {field_order: []}");
        let (rows, query_plan) = run(&p, None);
        assert!(!query_plan.contains("TEMP B-TREE"), "{query_plan}");
        assert_eq!(rows.len(), 12);
        assert_eq!(rows[0], ["Text(\"x\")", "Integer(1)", "Text(\"p\")"]);
        assert_eq!(rows[1], ["Text(\"x\")", "Integer(1)", "Text(\"q\")"]);
        assert_eq!(rows[11], ["Text(\"y\")", "Integer(3)", "Text(\"q\")"]);
    }

    #[test]
    fn the_seeded_product_follows_the_permutation_without_a_sort() {
        let p = plan("axes: {d: [d1, d2, d3]}\noutput: {field_order: []}");
        let (rows, query_plan) = run(&p, Some(123));
        assert!(!query_plan.contains("TEMP B-TREE"), "{query_plan}");
        // docs/reference.md §6.2 C16: seed 123 gives d3, d2, d1.
        let flat: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(flat, ["Text(\"d3\")", "Text(\"d2\")", "Text(\"d1\")"]);
        let (rows, _) = run(&p, Some(456));
        assert_eq!(rows[0][0], "Text(\"d1\")");
        // Larger: 17 over 12 rows of a 3 x 4 product.
        let p = plan("axes: {a: [0, 1, 2], b: [0, 1, 2, 3]}\noutput: {field_order: []}");
        let (rows, _) = run(&p, Some(17));
        let idx: Vec<i64> = rows
            .iter()
            .map(|r| {
                let a: i64 = r[0]
                    .trim_start_matches("Integer(")
                    .trim_end_matches(')')
                    .parse()
                    .unwrap();
                let b: i64 = r[1]
                    .trim_start_matches("Integer(")
                    .trim_end_matches(')')
                    .parse()
                    .unwrap();
                a * 4 + b
            })
            .collect();
        assert_eq!(idx, [10, 3, 0, 2, 7, 11, 1, 9, 5, 4, 6, 8]);
    }

    #[test]
    fn empty_and_axisless_products() {
        let (rows, _) = run(
            &plan("axes: {a: [x], b: []}\noutput: {field_order: []}"),
            None,
        );
        assert!(rows.is_empty());
        let (rows, _) = run(&plan("output: {field_order: []}"), Some(3));
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn same_plan_same_sql() {
        let text = "axes: {a: [x], b: [y]}\nrules: {pairs: {p: {left: a, right: b, allowed: [[x, y]]}}}\noutput: {field_order: [b]}";
        let (p1, p2) = (plan(text), plan(text));
        let c1 = Compiled::new(&p1, &output_selections(&p1), false);
        let c2 = Compiled::new(&p2, &output_selections(&p2), false);
        assert_eq!(c1.select_statement(), c2.select_statement());
        assert_eq!(c1.create_statements(), c2.create_statements());
    }
}
