//! The validating step of an import: the header (names, required columns, legacy flags), and
//! each record turned into a [`Row`] or refused with its line, column and value (D9).
//!
//! Pure functions of the text read: no file system, no store.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::{LegacyFlags, MAX_ERRORS};
use crate::catalog::{CatalogKind, LEGACY_FLAG_COLUMNS};
use crate::csvread::RawRecord;
use crate::error::{CatalogErrorKind, Error, Location, Result, RowProblem};
use crate::ids::{Stage, is_py_space};

/// One parsed catalog row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Row {
    /// The key values, in the order of [`CatalogKind::key_columns`].
    pub(super) keys: Vec<String>,
    /// The content values, in the order of [`CatalogKind::content_columns`]; empty when the
    /// file has no such column.
    pub(super) content: Vec<String>,
    /// The non-empty values of other columns, as a JSON object sorted by name.
    pub(super) extra: Option<String>,
    /// Body or description texts (filled by the reading step; empty until then).
    pub(super) attachments: Vec<Option<String>>,
    /// The physical line the record starts on.
    pub(super) line: u64,
}

/// A problem with one row: where, and what.
pub(super) type Problem = (Location, RowProblem);

/// Problems found so far in one file; the first becomes the error, the others its detail.
pub(super) struct Problems {
    found: Vec<Problem>,
}

impl Problems {
    pub(super) fn new() -> Self {
        Problems { found: Vec::new() }
    }

    pub(super) fn add(&mut self, loc: Location, problem: RowProblem) {
        self.found.push((loc, problem));
    }

    /// Whether [`MAX_ERRORS`] problems have been collected (reading stops).
    pub(super) fn full(&self) -> bool {
        self.found.len() >= MAX_ERRORS
    }

    /// `Ok` when there was no problem; otherwise one [`Error::Catalog`] carrying them all.
    pub(super) fn into_result(self) -> Result<()> {
        let stopped_after = self.full().then_some(MAX_ERRORS);
        let mut found = self.found.into_iter();
        match found.next() {
            None => Ok(()),
            Some((loc, first)) => Err(Error::catalog(
                loc,
                CatalogErrorKind::Rows {
                    first,
                    more: found.collect(),
                    stopped_after,
                },
            )),
        }
    }
}

/// Where each column of a checked header goes.
pub(super) struct Layout {
    kind: CatalogKind,
    header: Vec<String>,
    key_pos: Vec<Option<usize>>,
    content_pos: Vec<Option<usize>>,
    extra_pos: Vec<usize>,
    /// The columns recorded with the batch (all but ignored legacy flags).
    stored: Vec<usize>,
}

impl Layout {
    /// Checks the header of a `kind` file at `path` and maps its columns.
    pub(super) fn new(
        kind: CatalogKind,
        path: &Path,
        header: Vec<String>,
        flags: LegacyFlags,
    ) -> Result<Self> {
        check_header(kind, path, &header, flags)?;
        let position = |name: &str| header.iter().position(|h| h == name);
        // A key column the file may lack (combo mappings' concept_id) reads as empty.
        let key_pos: Vec<Option<usize>> = kind.key_columns().iter().map(|k| position(k)).collect();
        let content_pos: Vec<Option<usize>> =
            kind.content_columns().iter().map(|c| position(c)).collect();
        let known: HashSet<&str> = kind
            .key_columns()
            .iter()
            .chain(kind.content_columns())
            .copied()
            .collect();
        let is_flag = |i: usize| {
            flags == LegacyFlags::Ignore && LEGACY_FLAG_COLUMNS.contains(&header[i].as_str())
        };
        let extra_pos: Vec<usize> = (0..header.len())
            .filter(|&i| !known.contains(header[i].as_str()) && !is_flag(i))
            .collect();
        let stored: Vec<usize> = (0..header.len()).filter(|&i| !is_flag(i)).collect();
        Ok(Layout {
            kind,
            header,
            key_pos,
            content_pos,
            extra_pos,
            stored,
        })
    }

    /// The 0-based position of column `name`, if the file has it.
    pub(super) fn position(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The header recorded with the batch, as a JSON list.
    pub(super) fn stored_header_json(&self) -> String {
        let names: Vec<&String> = self.stored.iter().map(|&i| &self.header[i]).collect();
        serde_json::to_string(&names).expect("a list of strings always serialises")
    }

    /// Validates one non-blank record of the file at `path` into a [`Row`] (without its
    /// attachments), or says what is wrong with its first bad field.
    pub(super) fn row(
        &self,
        path: &Path,
        rec: &RawRecord,
    ) -> std::result::Result<Row, Box<Problem>> {
        let (kind, header, line) = (self.kind, &self.header, rec.line);
        if rec.len() != header.len() {
            return Err(Box::new((
                Location::line(path, line),
                RowProblem::FieldCount {
                    found: rec.len(),
                    expected: header.len(),
                },
            )));
        }
        let at = |i: usize| Location::line_col(path, line, i as u64 + 1);
        let mut texts: Vec<&str> = Vec::with_capacity(rec.len());
        for (i, name) in header.iter().enumerate() {
            match std::str::from_utf8(rec.field(i)) {
                Ok(t) if t.contains('\0') => {
                    return Err(Box::new((
                        at(i),
                        RowProblem::NulByte {
                            column: name.clone(),
                        },
                    )));
                }
                Ok(t) => texts.push(t),
                Err(_) => {
                    return Err(Box::new((
                        at(i),
                        RowProblem::NotUtf8 {
                            column: name.clone(),
                        },
                    )));
                }
            }
        }
        for &p in self.key_pos.iter().flatten() {
            if let Some(problem) = key_problem(kind, &header[p], texts[p]) {
                return Err(Box::new((at(p), problem)));
            }
        }
        if kind == CatalogKind::Replication {
            for (i, name) in header.iter().enumerate() {
                if let Some(problem) = replication_problem(name, texts[i]) {
                    return Err(Box::new((at(i), problem)));
                }
            }
        }
        let extra: BTreeMap<&str, &str> = self
            .extra_pos
            .iter()
            .filter(|&&p| !texts[p].is_empty())
            .map(|&p| (header[p].as_str(), texts[p]))
            .collect();
        Ok(Row {
            keys: self
                .key_pos
                .iter()
                .map(|p| p.map_or(String::new(), |p| texts[p].to_string()))
                .collect(),
            content: self
                .content_pos
                .iter()
                .map(|p| p.map_or(String::new(), |p| texts[p].to_string()))
                .collect(),
            extra: (!extra.is_empty()).then(|| {
                serde_json::to_string(&extra).expect("a map of strings always serialises")
            }),
            attachments: Vec::new(),
            line,
        })
    }
}

/// Checks a key value: non-empty, no surrounding whitespace, no control or format characters
/// (docs/decisions.md D9, D20); for keys that name files, a plain file name.
fn key_problem(kind: CatalogKind, column: &str, value: &str) -> Option<RowProblem> {
    let (column, owned) = (column.to_string(), value.to_string());
    if value.is_empty() {
        return Some(RowProblem::EmptyKey { column });
    }
    if value.starts_with(is_py_space) || value.ends_with(is_py_space) {
        return Some(RowProblem::KeyWhitespace {
            column,
            value: owned,
        });
    }
    if let Some((position, found)) = crate::textfmt::first_invisible(value) {
        return Some(RowProblem::KeyInvisible {
            column,
            value: owned,
            position,
            found,
        });
    }
    if kind.keys_are_file_names()
        && (value.contains('/') || value.contains('\\') || value == "." || value == "..")
    {
        return Some(RowProblem::KeyNotAFileName {
            column,
            value: owned,
        });
    }
    None
}

/// Replication values are validated at import, so the manifest can copy them (D10).
fn replication_problem(column: &str, value: &str) -> Option<RowProblem> {
    let (column, value) = (column.to_string(), value.to_string());
    match column.as_str() {
        "stage" if Stage::parse(&value).is_none() => Some(RowProblem::NotAStage { column, value }),
        "replicates" if parse_replicates(&value).is_none() => {
            Some(RowProblem::NotAReplicateCount { column, value })
        }
        _ => None,
    }
}

/// A replication count as the reference coerces it (docs/reference.md §3.7): numeric,
/// fractional values truncated, at least 1.
pub fn parse_replicates(value: &str) -> Option<i64> {
    let text = value.trim();
    let number = match text.parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            let f: f64 = text.parse().ok()?;
            if !f.is_finite() || f.abs() > 1e15 {
                return None;
            }
            f.trunc() as i64
        }
    };
    (number >= 1).then_some(number)
}

/// Header names: present, trimmed, unique, no legacy selection flag (unless ignored), and every
/// required column of `kind`.
fn check_header(
    kind: CatalogKind,
    path: &Path,
    header: &[String],
    flags: LegacyFlags,
) -> Result<()> {
    let mut seen: HashSet<&str> = HashSet::new();
    for (i, name) in header.iter().enumerate() {
        let loc = Location::line_col(path, 1, i as u64 + 1);
        if name.is_empty() {
            return Err(Error::catalog(
                loc,
                CatalogErrorKind::UnnamedColumn { column: i + 1 },
            ));
        }
        if name.trim() != name {
            return Err(Error::catalog(
                loc,
                CatalogErrorKind::ColumnWhitespace { name: name.clone() },
            ));
        }
        if !seen.insert(name) {
            return Err(Error::catalog(
                loc,
                CatalogErrorKind::DuplicateColumn { name: name.clone() },
            ));
        }
        if flags == LegacyFlags::Refuse && LEGACY_FLAG_COLUMNS.contains(&name.as_str()) {
            return Err(legacy_flag_error(path, loc, name));
        }
    }
    let missing: Vec<&str> = kind
        .required_columns()
        .iter()
        .copied()
        .filter(|k| !header.iter().any(|h| h == k))
        .collect();
    if !missing.is_empty() {
        return Err(Error::catalog(
            Location::line(path, 1),
            CatalogErrorKind::MissingColumns {
                missing,
                label: kind.label(),
                header: header.to_vec(),
            },
        ));
    }
    Ok(())
}

/// A catalog with a selection flag column is refused, pointing at the migration (D9).
fn legacy_flag_error(path: &Path, loc: Location, name: &str) -> Error {
    let root_hint = path
        .parent()
        .and_then(|p| {
            if p.file_name().is_some_and(|n| n == "1_raw") {
                p.parent()
            } else {
                Some(p)
            }
        })
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| ".".into());
    Error::catalog(
        loc,
        CatalogErrorKind::SelectionColumn {
            name: name.to_string(),
            root: root_hint,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csvread::{CsvReader, Dialect};

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn record(text: &[u8]) -> RawRecord {
        let mut reader = CsvReader::new(text, Dialect::default());
        let mut rec = RawRecord::default();
        assert!(reader.read_record(&mut rec).expect("test record parses"));
        rec
    }

    fn layout(kind: CatalogKind, header: &[&str], flags: LegacyFlags) -> Result<Layout> {
        Layout::new(kind, Path::new("c.csv"), names(header), flags)
    }

    fn problem(kind: CatalogKind, header: &[&str], row: &[u8]) -> String {
        let layout = layout(kind, header, LegacyFlags::Refuse).expect("header is fine");
        let (loc, problem) = *layout
            .row(Path::new("c.csv"), &record(row))
            .expect_err("the row is refused");
        format!("{loc}: {problem}")
    }

    #[test]
    fn replicates_are_coerced_like_the_reference() {
        assert_eq!(parse_replicates("2"), Some(2));
        assert_eq!(parse_replicates("2.7"), Some(2));
        assert_eq!(parse_replicates(" 3 "), Some(3));
        assert_eq!(parse_replicates("0"), None);
        assert_eq!(parse_replicates("x"), None);
        assert_eq!(parse_replicates("nan"), None);
    }

    #[test]
    fn keys_are_checked() {
        let problem = |kind, value| key_problem(kind, "id", value).map(|p| p.to_string());
        assert_eq!(
            problem(CatalogKind::LlmModels, "").as_deref(),
            Some("id is empty")
        );
        assert!(problem(CatalogKind::LlmModels, " x").is_some());
        assert_eq!(
            problem(CatalogKind::LlmModels, "x\u{200b}y").as_deref(),
            Some(
                format!(
                    "id {}",
                    crate::textfmt::invisible_problem("x\u{200b}y").expect("a format character")
                )
                .as_str()
            )
        );
        assert!(problem(CatalogKind::LlmModels, "a/b").is_none());
        assert_eq!(
            problem(CatalogKind::DraftTemplates, "a/b").as_deref(),
            Some("id \"a/b\" is not a plain file name (bodies and descriptions are found by id)")
        );
        assert!(problem(CatalogKind::DraftTemplates, "creative-synthesis-v2").is_none());
    }

    #[test]
    fn headers_are_checked() {
        let err = |header: &[&str], flags| {
            layout(CatalogKind::LlmModels, header, flags)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err(&["id", ""], LegacyFlags::Refuse).contains(":1:2: column 2 has no name"));
        assert!(err(&["id", " m"], LegacyFlags::Refuse).contains("surrounding whitespace"));
        assert!(
            err(&["id", "id"], LegacyFlags::Refuse).contains(":1:2: column \"id\" appears twice")
        );
        assert!(
            err(&["model"], LegacyFlags::Refuse)
                .contains(":1: missing required column \"id\" for llm models (found: model)")
        );
        assert!(
            err(&["id", "active"], LegacyFlags::Refuse).contains("selection column \"active\"")
        );
        assert_eq!(err(&["id", "active"], LegacyFlags::Ignore), "");
    }

    // What the reference reads decides what is required (docs/decisions.md D9).
    #[test]
    fn required_columns_are_what_the_reference_reads() {
        let combos = layout(
            CatalogKind::ComboMappings,
            &["combo_id"],
            LegacyFlags::Refuse,
        )
        .expect("combo_id alone is a combo catalog");
        let row = combos
            .row(Path::new("c.csv"), &record(b"combo-1\n"))
            .expect("row is fine");
        assert_eq!(row.keys, names(&["combo-1", ""]));
        assert_eq!(row.content, names(&["", "", "", ""]));
        // With the column, a concept id is checked as any key.
        assert_eq!(
            problem(
                CatalogKind::ComboMappings,
                &["combo_id", "concept_id"],
                b"combo-1,\n"
            ),
            "c.csv:1:2: concept_id is empty"
        );
        let missing = |kind, header: &[&str]| {
            layout(kind, header, LegacyFlags::Refuse)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(
            missing(CatalogKind::ComboMappings, &["concept_id"])
                .contains("missing required column \"combo_id\" for combo mappings")
        );
        assert!(
            missing(CatalogKind::Replication, &["stage"])
                .contains("missing required column \"replicates\" for replication")
        );
        for kind in CatalogKind::ALL {
            for required in kind.required_columns() {
                assert!(
                    kind.key_columns().contains(required)
                        || kind.content_columns().contains(required)
                );
            }
        }
    }

    #[test]
    fn a_row_maps_keys_content_and_sorted_extras() {
        let layout = layout(
            CatalogKind::LlmModels,
            &["zeta", "provider", "id", "alpha", "active"],
            LegacyFlags::Ignore,
        )
        .expect("header is fine");
        let row = layout
            .row(Path::new("c.csv"), &record(b"z,openai,m1,,1\n"))
            .expect("row is fine");
        assert_eq!(row.keys, names(&["m1"]));
        assert_eq!(row.content, names(&["", "openai", "", ""]));
        assert_eq!(row.extra.as_deref(), Some(r#"{"zeta":"z"}"#));
        assert_eq!(row.line, 1);
        assert_eq!(layout.position("alpha"), Some(3));
        assert_eq!(
            layout.stored_header_json(),
            r#"["zeta","provider","id","alpha"]"#
        );
    }

    #[test]
    fn bad_rows_name_line_column_and_value() {
        let kind = CatalogKind::LlmModels;
        assert_eq!(
            problem(kind, &["id", "model"], b"a\n"),
            "c.csv:1: row has 1 fields but the header has 2"
        );
        assert_eq!(
            problem(kind, &["id", "model"], b"a,b\0\n"),
            "c.csv:1:2: column \"model\" contains a NUL byte"
        );
        assert_eq!(
            problem(kind, &["id", "model"], b"a,\xff\n"),
            "c.csv:1:2: column \"model\" is not valid UTF-8"
        );
        assert_eq!(
            problem(kind, &["model", "id"], b"m, a\n"),
            "c.csv:1:2: id \" a\" has leading or trailing whitespace (the reference trimmed it \
             silently; fix the file)"
        );
        assert_eq!(
            problem(
                CatalogKind::Replication,
                &["stage", "replicates"],
                b"draft,0\n"
            ),
            "c.csv:1:2: replicates \"0\" is not a replicate count (expected an integer of at least 1; \
             the reference silently dropped this row, D21)"
        );
        assert_eq!(
            problem(
                CatalogKind::Replication,
                &["stage", "replicates"],
                b"drafts,1\n"
            ),
            "c.csv:1:1: stage \"drafts\" is not a stage (expected draft, essay or evaluation; the \
             reference silently dropped this row, D21)"
        );
    }

    #[test]
    fn problems_keep_the_first_as_the_error_and_stop_at_the_limit() {
        assert!(Problems::new().into_result().is_ok());
        let mut problems = Problems::new();
        let changed = |i: usize| RowProblem::Changed {
            label: "llm models",
            key: format!("m{i}"),
            what: "column \"model\"".into(),
            old: "\"a\"".into(),
            source_file: "old.csv".into(),
            line: 2,
            new: "\"b\"".into(),
        };
        for i in 0..MAX_ERRORS {
            assert!(!problems.full());
            problems.add(Location::line("c.csv", i as u64 + 2), changed(i));
        }
        assert!(problems.full());
        let err = problems.into_result().expect_err("problems are an error");
        assert_eq!(
            err.to_string(),
            "c.csv:2: llm models row \"m0\" changed: column \"model\" is \"a\" in the store \
             (imported from old.csv:2) but \"b\" here"
        );
        assert_eq!(err.value().as_deref(), Some("m0"));
        let detail = err.detail();
        assert_eq!(detail[0], format!("c.csv:3: {}", changed(1)));
        assert_eq!(
            detail[MAX_ERRORS - 1..],
            [
                format!("(stopped after {MAX_ERRORS} problems)"),
                "nothing was imported".to_string()
            ]
        );
        // The hint is given once, however many problems call for it.
        assert_eq!(err.hints(), [crate::error::CHANGED_HINT]);
    }
}
