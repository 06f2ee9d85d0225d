//! SQL text for a compiled plan. Table and column identifiers are generated (`t0`, `c0`); the
//! only spec-chosen identifiers are the output aliases, quoted here. Values never appear in
//! the text: they are bound as `?N` parameters when the tables are loaded.

use std::fmt::Write as _;

/// Quotes an SQL identifier: `"name"`, with `"` doubled.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The name of the table holding final axis `i`.
pub fn table_name(i: usize) -> String {
    format!("t{i}")
}

/// `drop table if exists temp.t3` (a connection may compile more than once).
pub fn drop_table(i: usize) -> String {
    format!("drop table if exists temp.{}", table_name(i))
}

/// `create temp table t3 (ord integer primary key, c0, c1)`. The value columns have no
/// declared type, so SQLite keeps each value's own type (integer levels stay integers).
pub fn create_table(i: usize, columns: usize) -> String {
    let mut sql = format!(
        "create temp table {} (ord integer primary key",
        table_name(i)
    );
    for c in 0..columns {
        write!(sql, ", c{c}").expect("write to String");
    }
    sql.push(')');
    sql
}

/// `insert into t3 (ord, c0, c1) values (?1, ?2, ?3)`.
pub fn insert_row(i: usize, columns: usize) -> String {
    let mut names = String::from("ord");
    let mut params = String::from("?1");
    for c in 0..columns {
        write!(names, ", c{c}").expect("write to String");
        write!(params, ", ?{}", c + 2).expect("write to String");
    }
    format!("insert into {} ({names}) values ({params})", table_name(i))
}

/// One projected column of the product query: the first non-null of `sources`
/// (`(table, column)` pairs), else `default`; `alias` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// `(table, column)` candidates, in priority order.
    pub sources: Vec<(usize, usize)>,
    /// The value when every source is null (or when there is none).
    pub default: Option<i64>,
    /// The column alias.
    pub alias: String,
}

fn projection_expr(p: &Projection) -> String {
    let mut parts: Vec<String> = p
        .sources
        .iter()
        .map(|(t, c)| format!("{}.c{c}", table_name(*t)))
        .collect();
    if let Some(d) = p.default {
        parts.push(d.to_string());
    }
    match parts.len() {
        0 => "null".to_string(),
        1 => parts.remove(0),
        _ => format!("coalesce({})", parts.join(", ")),
    }
}

/// Appends the select list: one `expr as "alias"` line per projection.
fn push_projections(sql: &mut String, projections: &[Projection]) {
    for (n, p) in projections.iter().enumerate() {
        if n > 0 {
            sql.push(',');
        }
        write!(
            sql,
            "\n  {} as {}",
            projection_expr(p),
            quote_ident(&p.alias)
        )
        .expect("write to String");
    }
}

/// The product query. `tables` is the number of final axes. Unseeded, the tables are
/// cross-joined in axis order and ordered by their ords, which SQLite satisfies by the nested
/// loops themselves (no sort: each table is scanned by its integer primary key; a test pins
/// this). Seeded, a recursive CTE walks the output positions in order (its queue is
/// first-in first-out) and each table is looked up by the ord that the shuffled product index
/// gives it: `ord = idx / stride % count`, where `?1` is the row count, `?2k+2` axis k's
/// stride and `?2k+3` its level count. `CROSS JOIN` fixes the loop order (the CTE outermost),
/// so rows come out in position order without a sort; a test pins this too.
pub fn select(projections: &[Projection], tables: usize, seeded: bool) -> String {
    if tables == 0 {
        // No axes: the empty product has exactly one (empty) row.
        let mut sql = String::from("select");
        if projections.is_empty() {
            sql.push_str(" 1");
        }
        push_projections(&mut sql, projections);
        return sql;
    }
    let mut sql = String::new();
    if seeded {
        sql.push_str(
            "with recursive shuffled(pos, idx) as (\n  select 0, shuffled_index(0) where ?1 > 0\n  \
             union all\n  select pos + 1, shuffled_index(pos + 1) from shuffled where pos + 1 < ?1\n)\n",
        );
    }
    sql.push_str("select");
    if projections.is_empty() {
        sql.push_str("\n  1");
    }
    push_projections(&mut sql, projections);
    if seeded {
        sql.push_str("\nfrom shuffled");
        for t in 0..tables {
            write!(sql, "\ncross join {}", table_name(t)).expect("write to String");
        }
        for t in 0..tables {
            let keyword = if t == 0 { "where" } else { "  and" };
            write!(
                sql,
                "\n{keyword} {}.ord = shuffled.idx / ?{} % ?{}",
                table_name(t),
                2 * t + 2,
                2 * t + 3
            )
            .expect("write to String");
        }
    } else {
        write!(sql, "\nfrom {}", table_name(0)).expect("write to String");
        for t in 1..tables {
            write!(sql, "\ncross join {}", table_name(t)).expect("write to String");
        }
        sql.push_str("\norder by ");
        let ords: Vec<String> = (0..tables)
            .map(|t| format!("{}.ord", table_name(t)))
            .collect();
        sql.push_str(&ords.join(", "));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("draft_template"), "\"draft_template\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn statements_have_one_clause_a_line() {
        assert_eq!(
            create_table(2, 2),
            "create temp table t2 (ord integer primary key, c0, c1)"
        );
        assert_eq!(insert_row(0, 1), "insert into t0 (ord, c0) values (?1, ?2)");
        let p = |t: usize, alias: &str| Projection {
            sources: vec![(t, 0)],
            default: None,
            alias: alias.into(),
        };
        let sql = select(&[p(0, "a"), p(1, "b")], 2, false);
        assert_eq!(
            sql,
            "select\n  t0.c0 as \"a\",\n  t1.c0 as \"b\"\nfrom t0\ncross join t1\norder by t0.ord, t1.ord"
        );
        assert_eq!(select(&[], 0, true), "select 1");
        let rep = Projection {
            sources: vec![(0, 1), (2, 0)],
            default: Some(1),
            alias: "rep".into(),
        };
        assert_eq!(projection_expr(&rep), "coalesce(t0.c1, t2.c0, 1)");
    }
}
