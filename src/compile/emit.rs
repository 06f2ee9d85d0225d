//! SQL text for a compiled plan. Table and column identifiers are generated (`t0` for an axis,
//! `p0` for a group of axes, `c0` for a column); the only spec-chosen identifiers are the output
//! aliases, quoted here. Values never appear in the text: they are bound as `?N` parameters when
//! the tables are loaded.

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

/// The name of group table `j` (the product of consecutive axes or groups).
pub fn group_name(j: usize) -> String {
    format!("p{j}")
}

/// `drop table if exists temp.t3` (a connection may compile more than once).
pub fn drop_table(i: usize) -> String {
    drop_named(&table_name(i))
}

/// `drop table if exists temp.NAME`.
pub fn drop_named(name: &str) -> String {
    format!("drop table if exists temp.{name}")
}

/// `create temp table t3 (ord integer primary key, c0, c1)`. The value columns have no
/// declared type, so SQLite keeps each value's own type (integer levels stay integers).
pub fn create_table(i: usize, columns: usize) -> String {
    create_named(&table_name(i), columns)
}

/// `create temp table NAME (ord integer primary key, c0, …)`.
pub fn create_named(name: &str, columns: usize) -> String {
    let mut sql = format!("create temp table {name} (ord integer primary key");
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

fn projection_expr(p: &Projection, tables: &[String]) -> String {
    let mut parts: Vec<String> = p
        .sources
        .iter()
        .map(|(t, c)| format!("{}.c{c}", tables[*t]))
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
fn push_projections(sql: &mut String, projections: &[Projection], tables: &[String]) {
    for (n, p) in projections.iter().enumerate() {
        if n > 0 {
            sql.push(',');
        }
        write!(
            sql,
            "\n  {} as {}",
            projection_expr(p, tables),
            quote_ident(&p.alias)
        )
        .expect("write to String");
    }
}

/// The statement filling group table `name` with the product of `members` (table names, each
/// with its column count), in odometer order: `ord` is the row's index in that product,
/// written in Horner form over the members' ords and row counts (`(t0.ord * (select count(*)
/// from t1) + t1.ord) * …`; each count is a constant subquery SQLite runs once), and the
/// columns are the members' columns in order. Like the product query, the cross joins are
/// ordered by the members' ords, which the nested loops give without a sort.
pub fn insert_group(name: &str, members: &[(String, usize)]) -> String {
    let mut ord = String::new();
    for (k, (member, _)) in members.iter().enumerate() {
        if k == 0 {
            write!(ord, "{member}.ord").expect("write to String");
        } else {
            ord = format!("({ord}) * (select count(*) from {member}) + {member}.ord");
        }
    }
    let mut names = String::from("ord");
    let mut values = ord;
    let mut c = 0;
    for (member, columns) in members {
        for mc in 0..*columns {
            write!(names, ", c{c}").expect("write to String");
            write!(values, ", {member}.c{mc}").expect("write to String");
            c += 1;
        }
    }
    let tables: Vec<&str> = members.iter().map(|(m, _)| m.as_str()).collect();
    let ords: Vec<String> = tables.iter().map(|t| format!("{t}.ord")).collect();
    format!(
        "insert into {name} ({names})\nselect {values}\nfrom {}\norder by {}",
        tables.join("\ncross join "),
        ords.join(", ")
    )
}

/// The product query over `tables` (the names of the tables joined, in axis order: axis tables
/// `t<i>`, and group tables `p<j>` holding the product of consecutive axes when there are more
/// than one join holds). Unseeded, the tables are cross-joined in order and ordered by their
/// ords, which SQLite satisfies by the nested loops themselves (no sort: each table is scanned
/// by its integer primary key; a test pins this). Seeded, a recursive CTE walks the output
/// positions in order (its queue is first-in first-out) and each table is looked up by the ord
/// that the shuffled product index gives it: `ord = idx / stride % count`, where `?1` is the
/// row count, `?2k+2` table k's stride and `?2k+3` its row count. `CROSS JOIN` fixes the loop
/// order (the CTE outermost), so rows come out in position order without a sort; a test pins
/// this too.
pub fn select(projections: &[Projection], tables: &[String], seeded: bool) -> String {
    if tables.is_empty() {
        // No axes: the empty product has exactly one (empty) row.
        let mut sql = String::from("select");
        if projections.is_empty() {
            sql.push_str(" 1");
        }
        push_projections(&mut sql, projections, tables);
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
    push_projections(&mut sql, projections, tables);
    if seeded {
        sql.push_str("\nfrom shuffled");
        for table in tables {
            write!(sql, "\ncross join {table}").expect("write to String");
        }
        for (t, table) in tables.iter().enumerate() {
            let keyword = if t == 0 { "where" } else { "  and" };
            write!(
                sql,
                "\n{keyword} {table}.ord = shuffled.idx / ?{} % ?{}",
                2 * t + 2,
                2 * t + 3
            )
            .expect("write to String");
        }
    } else {
        write!(sql, "\nfrom {}", tables[0]).expect("write to String");
        for table in &tables[1..] {
            write!(sql, "\ncross join {table}").expect("write to String");
        }
        sql.push_str("\norder by ");
        let ords: Vec<String> = tables.iter().map(|t| format!("{t}.ord")).collect();
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
        let tables: Vec<String> = (0..3).map(table_name).collect();
        let sql = select(&[p(0, "a"), p(1, "b")], &tables[..2], false);
        assert_eq!(
            sql,
            "select\n  t0.c0 as \"a\",\n  t1.c0 as \"b\"\nfrom t0\ncross join t1\norder by t0.ord, t1.ord"
        );
        assert_eq!(select(&[], &[], true), "select 1");
        let rep = Projection {
            sources: vec![(0, 1), (2, 0)],
            default: Some(1),
            alias: "rep".into(),
        };
        assert_eq!(projection_expr(&rep, &tables), "coalesce(t0.c1, t2.c0, 1)");
        assert_eq!(
            insert_group(
                "p0",
                &[("t3".into(), 1), ("t4".into(), 0), ("t5".into(), 2)]
            ),
            "insert into p0 (ord, c0, c1, c2)\n\
             select ((t3.ord) * (select count(*) from t4) + t4.ord) * (select count(*) from t5) + t5.ord, \
             t3.c0, t5.c0, t5.c1\n\
             from t3\ncross join t4\ncross join t5\n\
             order by t3.ord, t4.ord, t5.ord"
        );
    }
}
