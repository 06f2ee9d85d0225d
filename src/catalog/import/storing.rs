//! The storing step of an import: each validated row inserted with prepared statements inside
//! the command's one transaction, or compared with the stored row of its key (append-only,
//! D9), and the batch recorded for a file that added rows.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{CachedStatement, Connection, OptionalExtension, params_from_iter};

use super::validating::Row;
use crate::catalog::CatalogKind;
use crate::error::{DbContext, Result, RowProblem};
use crate::store::queries;

/// What storing one row did.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The key was new: the row was inserted.
    Added,
    /// The key was stored with identical content (by an earlier import or an earlier line).
    Unchanged,
    /// The row conflicts with a stored one and must not be imported.
    Conflict(Conflict),
}

/// Why a row cannot be stored.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Conflict {
    /// The CSV column the conflict is in, when it is in one.
    pub(super) column: Option<&'static str>,
    /// What is wrong, naming the old and the new value (its hint comes with it).
    pub(super) problem: RowProblem,
}

/// A stored row, as read back for comparison.
struct StoredRow {
    content: Vec<String>,
    extra: Option<String>,
    attachments: Vec<Option<String>>,
    batch_id: i64,
    line: u64,
}

/// The prepared statements of one catalog file, and the batch its rows go into.
pub(super) struct Writer<'c> {
    conn: &'c Connection,
    kind: CatalogKind,
    batch_id: i64,
    insert: CachedStatement<'c>,
    select: CachedStatement<'c>,
    /// Combo mappings only, when an earlier batch stored any: an earlier batch's row of a combo
    /// id.
    older: Option<CachedStatement<'c>>,
    /// The last combo id found new to the store (rows of one combo are consecutive).
    checked_combo: Option<String>,
    params: Vec<rusqlite::types::Value>,
}

impl<'c> Writer<'c> {
    /// Prepares the statements for rows of `kind` going into batch `batch_id`.
    pub(super) fn prepare(conn: &'c Connection, kind: CatalogKind, batch_id: i64) -> Result<Self> {
        let insert = conn
            .prepare_cached(kind.insert_sql())
            .db("catalog insert")?;
        let select = conn
            .prepare_cached(kind.select_sql())
            .db("catalog select")?;
        // Only an earlier batch's rows can make a new concept a change: with none stored, the
        // per-combo query would find nothing, so it is not run (docs/decisions.md D34).
        let any_older = kind == CatalogKind::ComboMappings
            && conn
                .query_row(
                    queries::CATALOG_COMBO_MAPPINGS_SELECT_ANY_OLDER,
                    [batch_id],
                    |r| r.get::<_, bool>(0),
                )
                .db("catalog_combo_mappings_select_any_older")?;
        let older = if any_older {
            Some(
                conn.prepare_cached(queries::CATALOG_COMBO_MAPPINGS_SELECT_OLDER)
                    .db("catalog_combo_mappings_select_older")?,
            )
        } else {
            None
        };
        Ok(Writer {
            conn,
            kind,
            batch_id,
            insert,
            select,
            older,
            checked_combo: None,
            params: Vec::new(),
        })
    }

    /// The key parameters of `row` (templates first bind their stage).
    fn bind_keys(&mut self, row: &Row) {
        self.params.clear();
        if let Some(stage) = self.kind.stage() {
            self.params.push(stage.as_str().to_string().into());
        }
        self.params
            .extend(row.keys.iter().map(|k| k.clone().into()));
    }

    /// The values the last [`Writer::store`] that returned [`Outcome::Added`] inserted, in the
    /// insert statement's order.
    pub(super) fn stored(&self) -> &[rusqlite::types::Value] {
        &self.params
    }

    /// Inserts `row`, or compares it with the stored row of its key.
    pub(super) fn store(&mut self, row: &Row) -> Result<Outcome> {
        self.bind_keys(row);
        self.params
            .extend(row.content.iter().map(|c| c.clone().into()));
        self.params.push(row.extra.clone().into());
        self.params
            .extend(row.attachments.iter().map(|a| a.clone().into()));
        self.params.push(self.batch_id.into());
        self.params.push((row.line as i64).into());
        let inserted = self
            .insert
            .execute(params_from_iter(self.params.iter()))
            .db("catalog insert")?;
        if inserted == 1 {
            return match self.combo_conflict(row)? {
                Some(conflict) => Ok(Outcome::Conflict(conflict)),
                None => Ok(Outcome::Added),
            };
        }
        self.compare(row)
    }

    /// A combo id names a fixed set of concepts: a new concept for a combo stored by an earlier
    /// batch is a conflict.
    fn combo_conflict(&mut self, row: &Row) -> Result<Option<Conflict>> {
        let Some(older) = self.older.as_mut() else {
            return Ok(None);
        };
        let combo = &row.keys[0];
        if self.checked_combo.as_deref() == Some(combo.as_str()) {
            return Ok(None);
        }
        let existing: Option<(String, i64)> = older
            .query_row((combo, self.batch_id), |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .db("catalog_combo_mappings_select_older")?;
        let Some((concept, old_batch)) = existing else {
            self.checked_combo = Some(combo.clone());
            return Ok(None);
        };
        let source = batch_source(self.conn, old_batch)?;
        Ok(Some(Conflict {
            column: Some("concept_id"),
            problem: RowProblem::ComboChanged {
                combo: combo.clone(),
                concept: row.keys[1].clone(),
                stored: concept,
                source_file: source,
            },
        }))
    }

    /// The key exists: compare contents.
    fn compare(&mut self, row: &Row) -> Result<Outcome> {
        self.bind_keys(row);
        let n_content = self.kind.content_columns().len();
        let n_attach = row.attachments.len();
        let stored: StoredRow = self
            .select
            .query_row(params_from_iter(self.params.iter()), |r| {
                let mut content = Vec::with_capacity(n_content);
                for i in 0..n_content {
                    content.push(r.get(i)?);
                }
                let extra = r.get(n_content)?;
                let mut attachments = Vec::with_capacity(n_attach);
                for i in 0..n_attach {
                    attachments.push(r.get(n_content + 1 + i)?);
                }
                Ok(StoredRow {
                    content,
                    extra,
                    attachments,
                    batch_id: r.get(n_content + 1 + n_attach)?,
                    line: r.get::<_, i64>(n_content + 2 + n_attach)? as u64,
                })
            })
            .db("catalog select")?;
        let Some(diff) = first_difference(self.kind, row, &stored) else {
            return Ok(Outcome::Unchanged);
        };
        let key_text = row.keys.join(", ");
        let label = self.kind.label();
        let conflict = if stored.batch_id == self.batch_id {
            Conflict {
                column: diff.column,
                problem: RowProblem::Duplicate {
                    label,
                    key: key_text,
                    what: diff.label,
                    first_line: stored.line,
                    old: diff.old,
                    new: diff.new,
                },
            }
        } else {
            let source = batch_source(self.conn, stored.batch_id)?;
            Conflict {
                column: diff.column,
                problem: RowProblem::Changed {
                    label,
                    key: key_text,
                    what: diff.label,
                    old: diff.old,
                    source_file: source,
                    line: stored.line,
                    new: diff.new,
                },
            }
        };
        Ok(Outcome::Conflict(conflict))
    }
}

/// What the batch table records about one imported file.
pub(super) struct Batch<'a> {
    pub(super) id: i64,
    pub(super) kind: CatalogKind,
    pub(super) path: &'a Path,
    pub(super) digest: &'a str,
    pub(super) header_json: &'a str,
    pub(super) imported_at: &'a str,
    pub(super) rows: u64,
}

/// Records a file that added rows as a batch (the path made absolute).
pub(super) fn record_batch(conn: &Connection, batch: &Batch<'_>) -> Result<()> {
    let source = std::path::absolute(batch.path).unwrap_or_else(|_| batch.path.to_path_buf());
    conn.execute(
        queries::BATCH_INSERT,
        (
            batch.id,
            batch.kind.name(),
            source.display().to_string(),
            batch.digest,
            batch.header_json,
            batch.imported_at,
            batch.rows as i64,
        ),
    )
    .db("batch_insert")?;
    Ok(())
}

/// The file a batch came from, for messages (`batch N` when the store has no such batch).
fn batch_source(conn: &Connection, batch_id: i64) -> Result<String> {
    let source: Option<String> = conn
        .query_row(queries::BATCH_SELECT_SOURCE, [batch_id], |r| r.get(0))
        .optional()
        .db("batch_select_source")?;
    Ok(source.unwrap_or_else(|| format!("batch {batch_id}")))
}

struct Difference {
    /// The CSV column, when the difference is in one.
    column: Option<&'static str>,
    label: String,
    old: String,
    new: String,
}

/// A value for a message: quoted, and cut after 80 characters.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 80;
    if text.chars().count() <= LIMIT {
        format!("{text:?}")
    } else {
        let head: String = text.chars().take(LIMIT).collect();
        format!("{head:?}… ({} characters)", text.chars().count())
    }
}

/// The first difference between a row and the stored row of its key: content columns in table
/// order, then extras by name, then attachments.
fn first_difference(kind: CatalogKind, row: &Row, stored: &StoredRow) -> Option<Difference> {
    for (i, name) in kind.content_columns().iter().enumerate() {
        if row.content[i] != stored.content[i] {
            return Some(Difference {
                column: Some(name),
                label: format!("column {name:?}"),
                old: shorten(&stored.content[i]),
                new: shorten(&row.content[i]),
            });
        }
    }
    if row.extra != stored.extra {
        let parse = |e: &Option<String>| -> BTreeMap<String, String> {
            e.as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default()
        };
        let (new, old) = (parse(&row.extra), parse(&stored.extra));
        let mut names: Vec<&String> = new.keys().chain(old.keys()).collect();
        names.sort();
        for name in names {
            let (o, n) = (
                old.get(name).map_or("", String::as_str),
                new.get(name).map_or("", String::as_str),
            );
            if o != n {
                return Some(Difference {
                    column: None,
                    label: format!("column {name:?}"),
                    old: shorten(o),
                    new: shorten(n),
                });
            }
        }
    }
    for (i, name) in kind.attachment_names().iter().enumerate() {
        if row.attachments[i] != stored.attachments[i] {
            let describe = |a: &Option<String>| match a {
                None => "absent".to_string(),
                Some(text) => shorten(text),
            };
            return Some(Difference {
                column: None,
                label: name.to_string(),
                old: describe(&stored.attachments[i]),
                new: describe(&row.attachments[i]),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CHANGED_HINT;
    use crate::store::Store;

    fn row(keys: &[&str], content: &[&str], line: u64) -> Row {
        Row {
            keys: keys.iter().map(|s| s.to_string()).collect(),
            content: content.iter().map(|s| s.to_string()).collect(),
            extra: None,
            attachments: Vec::new(),
            line,
        }
    }

    fn batch<'a>(id: i64, kind: CatalogKind, path: &'a str, rows: u64) -> Batch<'a> {
        Batch {
            id,
            kind,
            path: Path::new(path),
            digest: "d",
            header_json: "[]",
            imported_at: "2026-01-01T00:00:00Z",
            rows,
        }
    }

    #[test]
    fn rows_are_added_unchanged_or_conflicting() {
        let mut store = Store::open_in_memory().expect("in-memory store");
        let tx = store.write_transaction().expect("transaction");
        let kind = CatalogKind::LlmModels;
        {
            let mut writer = Writer::prepare(&tx, kind, 1).expect("prepares");
            let first = row(&["m"], &["gpt", "", "", ""], 2);
            assert_eq!(writer.store(&first).expect("stores"), Outcome::Added);
            assert_eq!(writer.store(&first).expect("stores"), Outcome::Unchanged);
            let Outcome::Conflict(c) = writer
                .store(&row(&["m"], &["gpt-2", "", "", ""], 5))
                .expect("stores")
            else {
                panic!("a changed duplicate conflicts");
            };
            assert_eq!(c.column, Some("model"));
            assert_eq!(c.problem.hint(), None);
            assert_eq!(
                c.problem.to_string(),
                "llm models id \"m\" appears twice with different content (first at line 2): \
                 column \"model\" is \"gpt\" there but \"gpt-2\" here"
            );
        }
        record_batch(&tx, &batch(1, kind, "/data/llm.csv", 1)).expect("records");
        let mut writer = Writer::prepare(&tx, kind, 2).expect("prepares");
        let mut changed = row(&["m"], &["gpt", "", "", ""], 3);
        changed.extra = Some(r#"{"note":"x"}"#.to_string());
        let Outcome::Conflict(c) = writer.store(&changed).expect("stores") else {
            panic!("a changed row conflicts");
        };
        assert_eq!((c.column, c.problem.hint()), (None, Some(CHANGED_HINT)));
        assert_eq!(
            c.problem.to_string(),
            "llm models row \"m\" changed: column \"note\" is \"\" in the store (imported from \
             /data/llm.csv:2) but \"x\" here"
        );
    }

    #[test]
    fn a_combo_cannot_gain_a_concept_in_a_later_batch() {
        let mut store = Store::open_in_memory().expect("in-memory store");
        let tx = store.write_transaction().expect("transaction");
        let kind = CatalogKind::ComboMappings;
        {
            let mut writer = Writer::prepare(&tx, kind, 1).expect("prepares");
            for (concept, line) in [("c1", 2), ("c2", 3)] {
                let outcome = writer.store(&row(&["k", concept], &["", "", "", ""], line));
                assert_eq!(outcome.expect("stores"), Outcome::Added);
            }
        }
        record_batch(&tx, &batch(1, kind, "/data/combos.csv", 2)).expect("records");
        let mut writer = Writer::prepare(&tx, kind, 2).expect("prepares");
        let Outcome::Conflict(c) = writer
            .store(&row(&["k", "c3"], &["", "", "", ""], 2))
            .expect("stores")
        else {
            panic!("a new concept for a stored combo conflicts");
        };
        assert_eq!(
            (c.column, c.problem.hint()),
            (Some("concept_id"), Some(CHANGED_HINT))
        );
        let message = c.problem.to_string();
        assert!(
            message.contains("imported from /data/combos.csv"),
            "{message}"
        );
        let fresh = writer.store(&row(&["k2", "c1"], &["", "", "", ""], 3));
        assert_eq!(fresh.expect("stores"), Outcome::Added);
    }

    #[test]
    fn values_are_shortened_in_messages() {
        assert_eq!(shorten("a\"b"), r#""a\"b""#);
        let long = "x".repeat(81);
        assert_eq!(
            shorten(&long),
            format!("{:?}… (81 characters)", "x".repeat(80))
        );
    }
}
