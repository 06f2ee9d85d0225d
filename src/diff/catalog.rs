//! The catalog half of `diff`: which referenced catalog rows differ between A and B.
//!
//! Each side's rows are [`referenced_rows`] of its members' distinct values as of its record's
//! last import batch — the rows its catalog digest is computed over (docs/hashing.md). Rows are
//! matched by table and key columns: a row only A references was removed, one only B references
//! added, one both reference with other column values changed (each differing column listed
//! with both values, in full).
//!
//! Catalogs are append-only and a key has one row that never changes (docs/decisions.md D9,
//! docs/storage.md "Import batches and as of"), so within one store both sides read the same row
//! of a key they both reference: a changed row needs a store whose schema was altered outside
//! cohortdb. A row edited in place behind cohortdb's back reads the same for both sides too; it
//! shows as a side whose rows no longer hash to its record's catalog digest
//! ([`SideRows::matches_record`]).

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;

use crate::error::Result;
use crate::ids::Role;
use crate::record::Members;
use crate::record::catalog::{CatalogRow, CatalogTable, ReferencedRows, referenced_rows};

/// Column names and values, in table order; serialized as a JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns<V>(pub Vec<(&'static str, V)>);

impl<V: serde::Serialize> serde::Serialize for Columns<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// One column whose value differs between A's row and B's row of the same key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldChange {
    /// The column.
    pub field: &'static str,
    /// A's value (`None`: SQL null).
    pub a: Option<String>,
    /// B's value (`None`: SQL null).
    pub b: Option<String>,
}

/// A referenced catalog row that differs between A and B.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum CatalogRowDiff {
    /// Only A references the row: no longer referenced by B.
    Removed {
        /// The table.
        table: CatalogTable,
        /// The key columns.
        key: Columns<String>,
        /// A's row: its other columns, in full.
        row: Columns<Option<String>>,
    },
    /// Only B references the row: newly referenced.
    Added {
        /// The table.
        table: CatalogTable,
        /// The key columns.
        key: Columns<String>,
        /// B's row: its other columns, in full.
        row: Columns<Option<String>>,
    },
    /// Both reference a row of this key, with other content.
    Changed {
        /// The table.
        table: CatalogTable,
        /// The key columns.
        key: Columns<String>,
        /// Each differing column with A's and B's value, in table order.
        fields: Vec<FieldChange>,
    },
}

impl CatalogRowDiff {
    /// The row's table.
    pub fn table(&self) -> CatalogTable {
        match self {
            CatalogRowDiff::Removed { table, .. }
            | CatalogRowDiff::Added { table, .. }
            | CatalogRowDiff::Changed { table, .. } => *table,
        }
    }

    /// The row's key columns.
    pub fn key(&self) -> &Columns<String> {
        match self {
            CatalogRowDiff::Removed { key, .. }
            | CatalogRowDiff::Added { key, .. }
            | CatalogRowDiff::Changed { key, .. } => key,
        }
    }
}

/// Referenced rows of one table: how many each side has, and how many differ.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CatalogTableDiff {
    /// The table.
    pub table: CatalogTable,
    /// Rows A references.
    pub a: u64,
    /// Rows B references.
    pub b: u64,
    /// Rows only B references.
    pub added: u64,
    /// Rows only A references.
    pub removed: u64,
    /// Rows both reference, with other content.
    pub changed: u64,
}

impl CatalogTableDiff {
    /// True when a row of this table differs.
    pub fn differs(&self) -> bool {
        self.added + self.removed + self.changed > 0
    }
}

/// What differs between the rows A and B reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogDiff {
    /// Counts per table, all five in digest order.
    pub tables: Vec<CatalogTableDiff>,
    /// The differing rows by table then key (empty when only counts were asked for).
    pub rows: Vec<CatalogRowDiff>,
}

/// A side's referenced rows, and whether they still hash to the catalog digest its record keeps.
#[derive(Debug)]
pub struct SideRows {
    /// The rows.
    pub rows: ReferencedRows,
    /// False when the rows now in the store do not hash to the record's catalog digest.
    pub matches_record: bool,
}

/// The distinct values of each role the members use, sorted (`texts[role.index()]`), as a
/// build's plan gives them to [`referenced_rows`].
pub fn member_texts(members: &Members) -> [Vec<String>; 7] {
    let mut sets: [HashSet<&str>; 7] = Default::default();
    for m in members.iter() {
        sets[Role::Combo.index()].insert(m.combo_id);
        sets[Role::template(m.stage).index()].insert(m.template_id);
        sets[Role::llm(m.stage).index()].insert(m.llm_model_id);
    }
    sets.map(|set| {
        let mut texts: Vec<String> = set.into_iter().map(str::to_string).collect();
        texts.sort_unstable();
        texts
    })
}

/// The rows `members` reference as of `last_batch` on `conn`, checked against the record's
/// catalog digest `recorded` (hex).
pub fn side_rows(
    conn: &Connection,
    members: &Members,
    last_batch: i64,
    recorded: &str,
) -> Result<SideRows> {
    let texts = member_texts(members);
    let rows = referenced_rows(conn, &|role: Role| texts[role.index()].clone(), last_batch)?;
    let matches_record = rows.digest().to_hex() == recorded;
    Ok(SideRows {
        rows,
        matches_record,
    })
}

type RowKey<'a> = (CatalogTable, Vec<&'a str>);

fn row_key<'a>(row: &CatalogRow<'a>) -> RowKey<'a> {
    (row.table, row.key.iter().map(|(_, v)| *v).collect())
}

fn owned_key(row: &CatalogRow<'_>) -> Columns<String> {
    Columns(row.key.iter().map(|(n, v)| (*n, v.to_string())).collect())
}

fn owned_row(row: &CatalogRow<'_>) -> Columns<Option<String>> {
    Columns(
        row.fields
            .iter()
            .map(|(n, v)| (*n, v.map(str::to_string)))
            .collect(),
    )
}

/// The columns whose values differ between two rows of one table, in table order.
fn field_changes(a: &CatalogRow<'_>, b: &CatalogRow<'_>) -> Vec<FieldChange> {
    a.fields
        .iter()
        .zip(&b.fields)
        .filter(|((_, va), (_, vb))| va != vb)
        .map(|((name, va), (_, vb))| FieldChange {
            field: name,
            a: va.map(str::to_string),
            b: vb.map(str::to_string),
        })
        .collect()
}

/// Compares the rows A and B reference; lists the differing rows unless `stat_only`.
pub fn compare(a: &ReferencedRows, b: &ReferencedRows, stat_only: bool) -> CatalogDiff {
    let b_rows: HashMap<RowKey<'_>, CatalogRow<'_>> =
        b.rows().map(|row| (row_key(&row), row)).collect();
    let mut a_keys: HashSet<RowKey<'_>> = HashSet::new();
    let mut counts: HashMap<CatalogTable, [u64; 3]> = HashMap::new();
    let mut listed: Vec<(RowKey<'_>, CatalogRowDiff)> = Vec::new();
    for row in a.rows() {
        let key = row_key(&row);
        match b_rows.get(&key) {
            None => {
                counts.entry(row.table).or_default()[1] += 1;
                if !stat_only {
                    listed.push((
                        key.clone(),
                        CatalogRowDiff::Removed {
                            table: row.table,
                            key: owned_key(&row),
                            row: owned_row(&row),
                        },
                    ));
                }
            }
            Some(other) if other.fields != row.fields => {
                counts.entry(row.table).or_default()[2] += 1;
                if !stat_only {
                    listed.push((
                        key.clone(),
                        CatalogRowDiff::Changed {
                            table: row.table,
                            key: owned_key(&row),
                            fields: field_changes(&row, other),
                        },
                    ));
                }
            }
            Some(_) => {}
        }
        a_keys.insert(key);
    }
    for row in b.rows() {
        let key = row_key(&row);
        if !a_keys.contains(&key) {
            counts.entry(row.table).or_default()[0] += 1;
            if !stat_only {
                listed.push((
                    key,
                    CatalogRowDiff::Added {
                        table: row.table,
                        key: owned_key(&row),
                        row: owned_row(&row),
                    },
                ));
            }
        }
    }
    // By table, then key: a row removed and one added under the same key cannot both occur.
    listed.sort_by(|(x, _), (y, _)| x.cmp(y));
    let tables = CatalogTable::ALL
        .into_iter()
        .map(|table| {
            let [added, removed, changed] = counts.get(&table).copied().unwrap_or_default();
            CatalogTableDiff {
                table,
                a: a.count(table) as u64,
                b: b.count(table) as u64,
                added,
                removed,
                changed,
            }
        })
        .collect();
    CatalogDiff {
        tables,
        rows: listed.into_iter().map(|(_, d)| d).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Stage;
    use crate::record::catalog::{ConceptRow, LlmRow, ReplicationRow, TemplateRow};

    fn template(id: &str, body: &str) -> TemplateRow {
        TemplateRow {
            stage: Stage::Draft,
            template_id: id.into(),
            template_name: id.to_uppercase(),
            description: String::new(),
            parser: String::new(),
            generator: "llm".into(),
            extra: None,
            body: Some(body.into()),
        }
    }

    fn llm(id: &str) -> LlmRow {
        LlmRow {
            id: id.into(),
            model: format!("v/{id}"),
            provider: "v".into(),
            display_name: id.into(),
            specialization: "general".into(),
            extra: None,
        }
    }

    fn sides() -> (ReferencedRows, ReferencedRows) {
        let a = ReferencedRows {
            templates: vec![template("t1", "old body"), template("t2", "same")],
            llm_models: vec![llm("m1")],
            replication: vec![ReplicationRow {
                stage: "draft".into(),
                replicates: "1".into(),
                extra: None,
            }],
            ..ReferencedRows::default()
        };
        let mut b = a.clone();
        b.templates[0].body = Some("new body".into());
        b.templates[0].extra = Some(r#"{"note":"x"}"#.into());
        b.llm_models = vec![llm("m2")];
        b.concepts = vec![ConceptRow {
            concept_id: "c".into(),
            name: "C".into(),
            extra: None,
            description_sentence: None,
            description_paragraph: None,
            description_article: None,
        }];
        (a, b)
    }

    fn key(pairs: &[(&'static str, &str)]) -> Columns<String> {
        Columns(pairs.iter().map(|(n, v)| (*n, v.to_string())).collect())
    }

    #[test]
    fn rows_are_removed_added_or_changed_by_key() {
        let (a, b) = sides();
        let diff = compare(&a, &b, false);
        assert_eq!(
            diff.rows,
            vec![
                CatalogRowDiff::Changed {
                    table: CatalogTable::Templates,
                    key: key(&[("stage", "draft"), ("template_id", "t1")]),
                    fields: vec![
                        FieldChange {
                            field: "extra",
                            a: None,
                            b: Some(r#"{"note":"x"}"#.into()),
                        },
                        FieldChange {
                            field: "body",
                            a: Some("old body".into()),
                            b: Some("new body".into()),
                        },
                    ],
                },
                CatalogRowDiff::Removed {
                    table: CatalogTable::LlmModels,
                    key: key(&[("id", "m1")]),
                    row: Columns(vec![
                        ("model", Some("v/m1".into())),
                        ("provider", Some("v".into())),
                        ("display_name", Some("m1".into())),
                        ("specialization", Some("general".into())),
                        ("extra", None),
                    ]),
                },
                CatalogRowDiff::Added {
                    table: CatalogTable::LlmModels,
                    key: key(&[("id", "m2")]),
                    row: Columns(vec![
                        ("model", Some("v/m2".into())),
                        ("provider", Some("v".into())),
                        ("display_name", Some("m2".into())),
                        ("specialization", Some("general".into())),
                        ("extra", None),
                    ]),
                },
                CatalogRowDiff::Added {
                    table: CatalogTable::Concepts,
                    key: key(&[("concept_id", "c")]),
                    row: Columns(vec![
                        ("name", Some("C".into())),
                        ("extra", None),
                        ("description_sentence", None),
                        ("description_paragraph", None),
                        ("description_article", None),
                    ]),
                },
            ]
        );
        let counts: Vec<(CatalogTable, u64, u64, u64, u64, u64)> = diff
            .tables
            .iter()
            .map(|t| (t.table, t.a, t.b, t.added, t.removed, t.changed))
            .collect();
        assert_eq!(
            counts,
            vec![
                (CatalogTable::Templates, 2, 2, 0, 0, 1),
                (CatalogTable::LlmModels, 1, 1, 1, 1, 0),
                (CatalogTable::ComboMappings, 0, 0, 0, 0, 0),
                (CatalogTable::Concepts, 0, 1, 1, 0, 0),
                (CatalogTable::Replication, 1, 1, 0, 0, 0),
            ]
        );
    }

    #[test]
    fn stat_only_counts_without_listing_and_equal_rows_do_not_differ() {
        let (a, b) = sides();
        let stat = compare(&a, &b, true);
        assert!(stat.rows.is_empty());
        assert_eq!(stat.tables, compare(&a, &b, false).tables);
        let same = compare(&a, &a, false);
        assert!(same.rows.is_empty());
        assert!(same.tables.iter().all(|t| !t.differs()));
    }

    #[test]
    fn the_same_id_in_two_stages_is_two_rows() {
        let mut a = ReferencedRows {
            templates: vec![template("t", "x")],
            ..ReferencedRows::default()
        };
        let mut b = a.clone();
        b.templates[0].stage = Stage::Essay;
        let diff = compare(&a, &b, false);
        assert_eq!(
            diff.rows
                .iter()
                .map(|d| d.key().0.clone())
                .collect::<Vec<_>>(),
            vec![
                vec![("stage", "draft".to_string()), ("template_id", "t".into())],
                vec![("stage", "essay".to_string()), ("template_id", "t".into())],
            ]
        );
        a.templates.clear();
        assert_eq!(compare(&a, &b, false).tables[0].added, 1);
    }

    #[test]
    fn a_change_serializes_with_its_key_and_both_values() {
        let (a, b) = sides();
        let json = serde_json::to_value(&compare(&a, &b, false).rows[0]).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "change": "changed",
                "table": "templates",
                "key": {"stage": "draft", "template_id": "t1"},
                "fields": [
                    {"field": "extra", "a": null, "b": "{\"note\":\"x\"}"},
                    {"field": "body", "a": "old body", "b": "new body"},
                ],
            })
        );
    }
}
