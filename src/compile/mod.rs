//! [`Plan`] → SQL that SQLite runs to produce the design rows, in the reference's order.
//!
//! Each final axis is a temp table `t<i>(ord, c0, c1, …)` holding the components the output
//! needs, loaded with bound parameters; the product is `t0 CROSS JOIN t1 … ORDER BY t0.ord, …`
//! (the last axis varies fastest, docs/reference.md §2.7.5); with a seed, a recursive CTE walks the
//! shuffled product indices instead (§2.7.6). Pair, tuple and tie expansion and `field_order`
//! are the final projection: which component of which table each output column selects.
//!
//! SQLite joins at most 64 tables in one `SELECT`, and the reference has no axis limit. Up to
//! [`MAX_JOIN`] axes the product joins the axis tables directly (the SQL is the same as it
//! always was). Beyond that, runs of consecutive axes are first multiplied into group tables
//! `p<j>(ord, …)` — each row at the index it has in the run's own odometer order — and the
//! product joins those: the odometer order of the groups is the odometer order of the axes, so
//! the rows and their order are the same. A run holds at most one axis of more than one level
//! (and one-level axes around it), so a group holds about as many rows as that axis: the
//! groups cost what the axis tables cost, whatever the row count ([`grouping`]).
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

/// A table the product joins: an axis table `t<i>`, or a group table `p<j>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// Final axis `i`'s table.
    Axis(usize),
    /// Group table `j` ([`Compiled::groups`]).
    Group(usize),
}

impl Item {
    /// The table's name.
    pub fn table(self) -> String {
        match self {
            Item::Axis(i) => emit::table_name(i),
            Item::Group(j) => emit::group_name(j),
        }
    }
}

/// A group table: the product of consecutive items, its columns theirs in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The items multiplied (two or more; axes, or earlier groups).
    pub members: Vec<Item>,
    /// Its value columns (the members' together).
    pub columns: usize,
}

/// The most tables the product query joins directly: SQLite joins at most 64 tables in one
/// `SELECT`, and a seeded product joins its position CTE as well.
pub const MAX_JOIN: usize = 63;

/// The most tables one group's `INSERT … SELECT` joins.
pub const GROUP_SIZE: usize = 60;

/// The most value columns a group table takes (SQLite allows 2,000 in a table).
const GROUP_COLUMNS: usize = 1000;

/// The most output columns a product may have: SQLite holds at most 2,000 columns in a table
/// or a result row (`SQLITE_MAX_COLUMN`; a unit test checks the bundled SQLite's), and an
/// axis table holds its `ord` besides the values.
pub const MAX_COLUMNS: usize = 1999;

/// One table while grouping: what it is, its row count and its value columns.
type Sized = (Item, u128, usize);

/// Groups consecutive items so that at most [`MAX_JOIN`] remain, given each axis's level count
/// and column count; returns the groups (in the order to fill them) and the items the product
/// joins (the axes themselves when there are at most [`MAX_JOIN`]).
///
/// The first pass starts a new run before a second axis of more than one level (and past
/// [`GROUP_SIZE`] tables or `GROUP_COLUMNS` columns), so each group holds about the rows of
/// its one larger axis. Only a product of at least 2^64 rows has more than [`MAX_JOIN`] larger
/// axes; should runs remain too many, later passes group consecutive runs, each just long
/// enough to leave at most [`MAX_JOIN`].
pub fn grouping(counts: &[u128], widths: &[usize]) -> (Vec<Group>, Vec<Item>) {
    let mut items: Vec<Sized> = counts
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(i, (count, width))| (Item::Axis(i), *count, *width))
        .collect();
    let mut groups = Vec::new();
    let mut first = true;
    while items.len() > MAX_JOIN {
        let before = items.len();
        let mut next: Vec<Sized> = Vec::new();
        let mut run: Vec<Sized> = Vec::new();
        let mut flush = |run: &mut Vec<Sized>| {
            if run.len() == 1 {
                next.append(run);
            } else if !run.is_empty() {
                let count = run.iter().fold(1u128, |p, m| p.saturating_mul(m.1));
                let columns = run.iter().map(|m| m.2).sum();
                groups.push(Group {
                    members: run.iter().map(|m| m.0).collect(),
                    columns,
                });
                next.push((Item::Group(groups.len() - 1), count, columns));
                run.clear();
            }
        };
        let larger = |m: &Sized| m.1 > 1;
        // Later passes: runs just long enough to leave at most MAX_JOIN items.
        let size = if first {
            GROUP_SIZE
        } else {
            before.div_ceil(MAX_JOIN).min(GROUP_SIZE)
        };
        for item in items {
            let full = run.len() >= size
                || run.iter().map(|m| m.2).sum::<usize>() + item.2 > GROUP_COLUMNS
                || (first && larger(&item) && run.iter().any(larger));
            if full {
                flush(&mut run);
            }
            run.push(item);
        }
        flush(&mut run);
        items = next;
        if items.len() == before && !first {
            // Nothing could be grouped (every table is too wide to share one): the product
            // query names them all and SQLite refuses it.
            break;
        }
        first = false;
    }
    (groups, items.into_iter().map(|(item, _, _)| item).collect())
}

/// A plan compiled to SQL: table layouts and the product query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled<K> {
    /// One table per final axis, in axis order.
    pub tables: Vec<TableLayout<K>>,
    /// The group tables, in the order they are filled (none up to [`MAX_JOIN`] axes).
    pub groups: Vec<Group>,
    /// The tables the product query joins, in order.
    pub items: Vec<Item>,
    /// The projected columns (sources as `(index in items, column of that table)`).
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
        let counts: Vec<u128> = plan.axes.iter().map(|a| a.levels.len() as u128).collect();
        let widths: Vec<usize> = tables.iter().map(|t| t.columns.len()).collect();
        let (groups, items) = grouping(&counts, &widths);
        // Where each axis's columns are among the joined tables: (item, first column).
        let mut located = vec![(0usize, 0usize); tables.len()];
        fn locate(
            item: Item,
            at: (usize, usize),
            groups: &[Group],
            widths: &[usize],
            located: &mut [(usize, usize)],
        ) -> usize {
            match item {
                Item::Axis(i) => {
                    located[i] = at;
                    widths[i]
                }
                Item::Group(j) => {
                    let mut offset = at.1;
                    for member in &groups[j].members {
                        offset += locate(*member, (at.0, offset), groups, widths, located);
                    }
                    offset - at.1
                }
            }
        }
        for (k, item) in items.iter().enumerate() {
            locate(*item, (k, 0), &groups, &widths, &mut located);
        }
        for projection in &mut select {
            for source in &mut projection.sources {
                let (item, offset) = located[source.0];
                *source = (item, offset + source.1);
            }
        }
        Compiled {
            tables,
            groups,
            items,
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

    /// The `create temp table` and `insert … select` statements of each group table, in the
    /// order they run (after the axis tables are loaded).
    pub fn group_statements(&self) -> Vec<(String, String)> {
        self.groups
            .iter()
            .enumerate()
            .map(|(j, group)| {
                let members: Vec<(String, usize)> = group
                    .members
                    .iter()
                    .map(|m| (m.table(), self.width(*m)))
                    .collect();
                let name = emit::group_name(j);
                (
                    emit::create_named(&name, group.columns),
                    emit::insert_group(&name, &members),
                )
            })
            .collect()
    }

    /// The value columns of an item's table.
    fn width(&self, item: Item) -> usize {
        match item {
            Item::Axis(i) => self.tables[i].columns.len(),
            Item::Group(j) => self.groups[j].columns,
        }
    }

    /// The row count of an item's table (an axis's levels; a group's product).
    pub fn item_count(&self, plan: &Plan, item: Item) -> u128 {
        match item {
            Item::Axis(i) => plan.axes[i].levels.len() as u128,
            Item::Group(j) => self.groups[j]
                .members
                .iter()
                .fold(1u128, |p, m| p.saturating_mul(self.item_count(plan, *m))),
        }
    }

    /// The row count of each joined table, in order.
    pub fn item_counts(&self, plan: &Plan) -> Vec<u128> {
        self.items
            .iter()
            .map(|item| self.item_count(plan, *item))
            .collect()
    }

    /// The product query.
    pub fn select_statement(&self) -> String {
        let tables: Vec<String> = self.items.iter().map(|item| item.table()).collect();
        emit::select(&self.select, &tables, self.seeded)
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

/// Refuses a product of more output columns than SQLite holds ([`MAX_COLUMNS`]), naming the
/// count, before any table is made or row written (`compile` and `sql` check it first). There
/// is no limit on the number of axes: beyond one join's tables, axes are grouped.
pub fn check_width<K>(compiled: &Compiled<K>) -> Result<()> {
    let columns = compiled.select.len();
    if columns <= MAX_COLUMNS {
        return Ok(());
    }
    Err(UsageError::TooManyColumns {
        columns,
        max: MAX_COLUMNS,
    }
    .into())
}

/// Creates and fills the axis tables on `conn`, then the group tables (temp tables, so any
/// connection works, even one on a read-only store). `cell` turns a component value (and where
/// its level was written) into what the column holds.
pub fn load_tables<K: Clone + PartialEq>(
    conn: &Connection,
    plan: &Plan,
    compiled: &Compiled<K>,
    mut cell: impl FnMut(&K, &Value, &crate::error::Location) -> Result<SqlValue>,
) -> Result<()> {
    check_width(compiled)?;
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
    for (j, (create, insert)) in compiled.group_statements().iter().enumerate() {
        conn.execute(&emit::drop_named(&emit::group_name(j)), [])
            .db("drop group table")?;
        conn.execute(create, []).db("create group table")?;
        conn.execute(insert, []).db("fill group table")?;
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
    let counts = compiled.item_counts(plan);
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
    check_width(&compiled)?;
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

    /// A spec of `n` axes: axis `i` has `levels(i)` levels, named `a<i>` with values `v<i>_<k>`.
    fn wide_plan(n: usize, levels: impl Fn(usize) -> usize) -> Plan {
        let mut text = String::from("output: {field_order: []}\naxes:\n");
        for i in 0..n {
            let values: Vec<String> = (0..levels(i)).map(|k| format!("v{i}_{k}")).collect();
            text.push_str(&format!("  a{i}: [{}]\n", values.join(", ")));
        }
        plan(&text)
    }

    /// The rows of a product worked out by hand: product index `idx` in odometer order (the
    /// last axis fastest), or the seed's permutation of the indices.
    fn expected_rows(p: &Plan, seed: Option<i64>) -> Vec<Vec<String>> {
        let counts: Vec<usize> = p.axes.iter().map(|a| a.levels.len()).collect();
        let rows = counts.iter().product::<usize>();
        let order: Vec<usize> = match seed {
            Some(s) => shuffle::permutation(&Seed::from(s), rows as u32)
                .into_iter()
                .map(|i| i as usize)
                .collect(),
            None => (0..rows).collect(),
        };
        order
            .into_iter()
            .map(|mut idx| {
                let mut row = vec![String::new(); counts.len()];
                for (i, count) in counts.iter().enumerate().rev() {
                    row[i] = format!("Text(\"v{i}_{}\")", idx % count);
                    idx /= count;
                }
                row
            })
            .collect()
    }

    #[test]
    fn any_number_of_axes_gives_the_rows_in_their_order() {
        // One-level axes with a few larger ones among them, at the edges of the groups too.
        for n in [63, 64, 65, 100, 200, 1000] {
            let levels = |i: usize| match i {
                0 | 63 => 2,
                _ if i == 62 || i == n - 1 || i == 61 + GROUP_SIZE => 3,
                _ => 1,
            };
            let p = wide_plan(n, levels);
            let compiled = Compiled::new(&p, &output_selections(&p), false);
            assert!(compiled.items.len() <= MAX_JOIN, "{n}");
            assert_eq!(compiled.groups.is_empty(), n <= MAX_JOIN, "{n}");
            for seed in [None, Some(17)] {
                let (rows, query_plan) = run(&p, seed);
                assert!(!query_plan.contains("TEMP B-TREE"), "{n}: {query_plan}");
                assert_eq!(rows, expected_rows(&p, seed), "{n} axes, seed {seed:?}");
            }
        }
        // Every axis larger: 40 two-level axes and 30 three-level ones (a 2.3e26-row product
        // is only planned, never run): the groups stay small.
        let p = wide_plan(70, |i| if i < 40 { 2 } else { 3 });
        let compiled = Compiled::new(&p, &output_selections(&p), true);
        assert!(compiled.items.len() <= MAX_JOIN);
        for j in 0..compiled.groups.len() {
            assert!(compiled.item_count(&p, Item::Group(j)) <= 9, "{j}");
        }
    }

    #[test]
    fn the_sql_of_a_wide_product_stays_within_sqlites_limits() {
        let conn = Connection::open_in_memory().unwrap();
        use rusqlite::limits::Limit;
        // The limits the grouping relies on, in the bundled SQLite.
        assert_eq!(conn.limit(Limit::SQLITE_LIMIT_COLUMN).unwrap(), 2000);
        assert_eq!(MAX_COLUMNS + 1, 2000);
        let depth = conn.limit(Limit::SQLITE_LIMIT_EXPR_DEPTH).unwrap() as usize;
        let variables = conn.limit(Limit::SQLITE_LIMIT_VARIABLE_NUMBER).unwrap() as usize;
        // 10,000 axes (one output column each would pass MAX_COLUMNS; the build projects ten).
        let counts: Vec<u128> = (0..10_000)
            .map(|i| if i % 97 == 0 { 2 } else { 1 })
            .collect();
        let widths = vec![1; counts.len()];
        let (groups, items) = grouping(&counts, &widths);
        assert!(items.len() <= MAX_JOIN);
        for group in &groups {
            assert!((2..=GROUP_SIZE).contains(&group.members.len()));
            assert!(group.columns <= GROUP_COLUMNS);
            // A group's ord is a Horner sum: two operators and a subquery per member.
            assert!(3 * group.members.len() < depth);
        }
        // The seeded product binds 2 parameters per table joined, plus the row count.
        assert!(2 * MAX_JOIN < variables);
        // More than 2^63 rows in larger axes: later passes group plainly.
        let (_, items) = grouping(&vec![2; 300], &vec![1; 300]);
        assert!(items.len() <= MAX_JOIN);
        // A spec of more output columns than a row holds is refused, naming the count.
        let p = wide_plan(MAX_COLUMNS + 1, |_| 1);
        let compiled = Compiled::new(&p, &output_selections(&p), false);
        let err = check_width(&compiled).unwrap_err().to_string();
        assert!(err.contains("2000 output columns"), "{err}");
        let p = wide_plan(MAX_COLUMNS, |_| 1);
        let (rows, _) = run(&p, Some(3));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), MAX_COLUMNS);
    }
}
