//! Finding many gen_ids in one stage of the ledger (docs/decisions.md D37): the gen_ids are
//! sorted, and one statement over the stage's current rows in gen_id order walks beside them,
//! *stepping* to the next wanted gen_id when it is a few rows ahead and *seeking* to it (the
//! statement run again from that gen_id) when it is farther; right after a seek the next
//! gen_id gets only two steps before its own seek, so a sparse list costs a seek each. A
//! cohort that holds most of the ledger's generations is read as one sequential scan, with no
//! sort of its members in SQL and no B-tree descent per member; a small cohort in a large
//! ledger costs a seek per member, as a join would. Either way the pages are visited in key
//! order.

use rusqlite::fallible_streaming_iterator::FallibleStreamingIterator;
use rusqlite::{Connection, params};

use crate::error::{DbContext, Result};

/// Rows a walk steps past on the way to a gen_id before it seeks to it instead: a step costs
/// a fraction of a seek (no descent from the root, no statement run again).
const STEPS: usize = 16;
/// … right after a seek: where the wanted gen_ids are sparse, each would otherwise step
/// [`STEPS`] rows in vain before its seek.
const STEPS_AFTER_SEEK: usize = 2;

/// Walks the current ledger rows of `stage` beside `count` gen_ids, `id(0) <= id(1) <= …` in
/// byte order (duplicates allowed), and calls `f(k, row)` for each `k` in order with the row
/// of gen_id `id(k)`, or `None` when the ledger holds none.
///
/// `sql` (named `what` in errors) selects the current rows of stage `?1` whose gen_id is text
/// and `>= ?2`, in gen_id order, with the gen_id as its first column and at most one row per
/// gen_id (the ledger's current version).
pub fn walk<'i>(
    conn: &Connection,
    sql: &str,
    what: &'static str,
    stage: &str,
    count: usize,
    id: impl Fn(usize) -> &'i str,
    mut f: impl FnMut(usize, Option<&rusqlite::Row<'_>>) -> Result<()>,
) -> Result<()> {
    if count == 0 {
        return Ok(());
    }
    let mut stmt = conn.prepare_cached(sql).db(what)?;
    let mut rows = stmt.query(params![stage, id(0)]).db(what)?;
    rows.advance().db(what)?;
    let mut budget = STEPS;
    for k in 0..count {
        let want = id(k);
        let mut steps = 0;
        let mut sought = false;
        let found = loop {
            let Some(row) = rows.get() else {
                // Nothing at or after the last seek, so nothing at or after `want`.
                break false;
            };
            let at = text(row, 0).db(what)?;
            if at >= want {
                break at == want;
            }
            if steps >= budget && !sought {
                drop(rows);
                rows = stmt.query(params![stage, want]).db(what)?;
                rows.advance().db(what)?;
                // It lands at or after `want`.
                sought = true;
                continue;
            }
            rows.advance().db(what)?;
            steps += 1;
        };
        budget = if sought { STEPS_AFTER_SEEK } else { STEPS };
        f(k, if found { rows.get() } else { None })?;
    }
    Ok(())
}

/// A text column of a row (a walked row's gen_id is column 0), borrowed.
pub fn text<'r>(row: &'r rusqlite::Row<'_>, at: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(at)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// gen_ids packed in one buffer: a million of them take their bytes and a word each, not a
/// `String` each (`scores` keeps a cohort's evaluations while it writes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids {
    text: String,
    ends: Vec<usize>,
}

impl Ids {
    /// Appends a gen_id.
    pub fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`-th gen_id (`i < len()`).
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// The gen_ids in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The positions `0..len()` sorted by the gen_id at each (equal gen_ids in position
    /// order), for a [`walk`] in key order that reports back in membership order.
    pub fn key_order(&self) -> Vec<u32> {
        let mut order: Vec<(&str, u32)> = self.iter().zip(0u32..).collect();
        // (gen_id, position) pairs are distinct: an unstable sort keeps equal gen_ids in
        // position order.
        order.sort_unstable();
        order.into_iter().map(|(_, i)| i).collect()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Ids {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Ids {
        let mut ids = Ids::default();
        for id in iter {
            ids.push(id.as_ref());
        }
        ids
    }
}

impl serde::Serialize for Ids {
    fn serialize<Se: serde::Serializer>(&self, s: Se) -> std::result::Result<Se::Ok, Se::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A ledger-like table: stage, gen_id, version and a value; superseded versions listed.
    fn ledger(rows: &[(&str, &str, i64, &str)], superseded: &[(&str, &str, i64)]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "create table g (stage text, gen_id, version integer, value text,
                             primary key (stage, gen_id, version)) without rowid;
             create table x (stage text, gen_id text, version integer,
                             primary key (stage, gen_id, version)) without rowid;",
        )
        .unwrap();
        for (stage, gen_id, version, value) in rows {
            conn.execute(
                "insert into g values (?1, ?2, ?3, ?4)",
                params![stage, gen_id, version, value],
            )
            .unwrap();
        }
        for (stage, gen_id, version) in superseded {
            conn.execute(
                "insert into x values (?1, ?2, ?3)",
                params![stage, gen_id, version],
            )
            .unwrap();
        }
        conn
    }

    const SQL: &str = "select g.gen_id, g.value from g
        where g.stage = ?1 and g.gen_id >= ?2 and g.gen_id < x''
          and not exists (select 1 from x where x.stage = g.stage and x.gen_id = g.gen_id
                          and x.version = g.version)
        order by g.gen_id";

    fn walked(conn: &Connection, stage: &str, ids: &[String]) -> Vec<Option<String>> {
        let mut out = Vec::new();
        walk(
            conn,
            SQL,
            "test",
            stage,
            ids.len(),
            |k| &ids[k],
            |k, row| {
                assert_eq!(k, out.len());
                out.push(row.map(|r| r.get::<_, String>(1).unwrap()));
                Ok(())
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn finds_current_versions_and_reports_gaps() {
        let conn = ledger(
            &[
                ("essay", "a", 1, "a1"),
                ("essay", "a", 2, "a2"),
                ("essay", "c", 1, "c1"),
                ("draft", "b", 1, "other stage"),
            ],
            &[("essay", "a", 1)],
        );
        let ids: Vec<String> = ["a", "a", "b", "c", "d"].map(String::from).to_vec();
        assert_eq!(
            walked(&conn, "essay", &ids),
            [Some("a2"), Some("a2"), None, Some("c1"), None].map(|v| v.map(String::from))
        );
        assert!(
            walked(&conn, "evaluation", &ids)
                .iter()
                .all(Option::is_none)
        );
        assert!(walked(&conn, "essay", &[]).is_empty());
    }

    #[test]
    fn non_text_gen_ids_are_not_walked() {
        let conn = ledger(&[("essay", "a", 1, "a1")], &[]);
        conn.execute("insert into g values ('essay', 5, 1, 'int')", [])
            .unwrap();
        conn.execute("insert into g values ('essay', x'00', 1, 'blob')", [])
            .unwrap();
        let ids: Vec<String> = ["5", "a", "b"].map(String::from).to_vec();
        assert_eq!(
            walked(&conn, "essay", &ids),
            [None, Some("a1".to_string()), None]
        );
    }

    #[test]
    fn ids_pack_and_sort_with_equal_gen_ids_in_position_order() {
        let ids: Ids = ["b", "a", "", "b", "a"].into_iter().collect();
        assert_eq!(ids.len(), 5);
        assert_eq!(ids.iter().collect::<Vec<_>>(), ["b", "a", "", "b", "a"]);
        assert_eq!(ids.key_order(), [2, 1, 4, 0, 3]);
        assert_eq!(
            serde_json::to_string(&ids).unwrap(),
            r#"["b","a","","b","a"]"#
        );
        assert!(Ids::default().key_order().is_empty());
        assert!(Ids::default().is_empty());
    }

    proptest! {
        /// Stepping and seeking find what a lookup per gen_id finds, for dense and sparse
        /// lists alike (the gaps straddle STEPS).
        #[test]
        fn walk_equals_lookups(
            ledger_ids in proptest::collection::btree_set("[a-d]{1,3}", 0..120),
            wanted in proptest::collection::vec("[a-d]{1,3}", 0..80),
        ) {
            let rows: Vec<(String, String)> =
                ledger_ids.iter().map(|g| (g.clone(), format!("v{g}"))).collect();
            let conn = ledger(
                &rows.iter().map(|(g, v)| ("essay", g.as_str(), 1, v.as_str())).collect::<Vec<_>>(),
                &[],
            );
            let mut sorted = wanted.clone();
            sorted.sort();
            let expected: Vec<Option<String>> = sorted
                .iter()
                .map(|g| ledger_ids.contains(g).then(|| format!("v{g}")))
                .collect();
            prop_assert_eq!(walked(&conn, "essay", &sorted), expected);
        }
    }
}
