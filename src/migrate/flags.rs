//! Legacy selection flags in catalog CSVs (`active`, `for_generation`, `for_evaluation`;
//! docs/reference.md §4): reading which rows they select, and the file's bytes without them.
//!
//! One pass over the raw bytes splits records into field spans with the same dialect as
//! [`crate::csvread`] (Python's `excel` dialect), so the flag columns can be cut out while every
//! other byte — quoting, line ends, a BOM, a missing final newline — stays as it was.

use std::path::{Path, PathBuf};

use crate::catalog::{CatalogKind, LEGACY_FLAG_COLUMNS};
use crate::error::{CatalogErrorKind, Error, IoContext, Location, Result};

/// The catalogs that carried selection flags, and the column that names each row.
pub const FLAGGED_KINDS: [(CatalogKind, &str); 5] = [
    (CatalogKind::Concepts, "concept_id"),
    (CatalogKind::DraftTemplates, "template_id"),
    (CatalogKind::EssayTemplates, "template_id"),
    (CatalogKind::EvaluationTemplates, "template_id"),
    (CatalogKind::LlmModels, "id"),
];

/// One flag column and its value on every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagColumn {
    /// `active`, `for_generation` or `for_evaluation`.
    pub name: String,
    /// The row's flag, in row order.
    pub values: Vec<bool>,
}

/// A catalog file read for its flags.
#[derive(Debug, Clone)]
pub struct FlaggedCatalog {
    /// The file.
    pub path: PathBuf,
    /// Each row's id (the id column's text), in row order.
    pub ids: Vec<String>,
    /// The flag columns present, in header order.
    pub flags: Vec<FlagColumn>,
    /// The file's bytes without the flag columns (equal to the input when it has none).
    pub stripped: Vec<u8>,
}

impl FlaggedCatalog {
    /// The flag column `name`, if the file has it.
    pub fn flag(&self, name: &str) -> Option<&FlagColumn> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// The ids a flag selects, in row order; `None` when the file has no such column.
    pub fn selected(&self, name: &str) -> Option<Vec<String>> {
        let flag = self.flag(name)?;
        Some(
            self.ids
                .iter()
                .zip(&flag.values)
                .filter(|(_, on)| **on)
                .map(|(id, _)| id.clone())
                .collect(),
        )
    }
}

/// A flag value as the legacy pandas filter `df[flag] == True` read it: `True`/`true`/`TRUE`
/// and `1` select; `False`/`false`/`FALSE`, `0` and empty do not; anything else is refused
/// rather than guessed.
pub fn parse_flag(text: &str) -> Option<bool> {
    match text.trim() {
        "True" | "true" | "TRUE" | "1" | "1.0" => Some(true),
        "False" | "false" | "FALSE" | "0" | "0.0" | "" => Some(false),
        _ => None,
    }
}

/// One record: field spans into the input, and the span of its line terminator.
struct Record {
    fields: Vec<(usize, usize)>,
    end: (usize, usize),
    line: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    StartField,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// Splits `bytes[start..]` into records. A blank line is a record without fields.
fn split_records(bytes: &[u8], start: usize, path: &Path) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    let mut i = start;
    let mut line = 1u64;
    while i < bytes.len() {
        let record_line = line;
        let mut fields = Vec::new();
        let mut field_start = i;
        let mut state = State::StartField;
        let mut blank = true;
        let end = loop {
            let Some(&b) = bytes.get(i) else {
                if state == State::Quoted {
                    return Err(Error::catalog(
                        Location::line(path, record_line),
                        CatalogErrorKind::UnterminatedQuote { truncated: true },
                    ));
                }
                break (i, i);
            };
            if state == State::Quoted {
                if b == b'"' {
                    state = State::QuoteInQuoted;
                } else if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
                    line += 1;
                }
                i += 1;
                continue;
            }
            match b {
                b'\r' | b'\n' => {
                    let len = if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                    line += 1;
                    break (i, i + len);
                }
                b',' => {
                    fields.push((field_start, i));
                    field_start = i + 1;
                    state = State::StartField;
                }
                b'"' if state == State::StartField => state = State::Quoted,
                b'"' if state == State::QuoteInQuoted => state = State::Quoted,
                _ => state = State::Unquoted,
            }
            blank = false;
            i += 1;
        };
        if !blank {
            fields.push((field_start, end.0));
        }
        i = end.1;
        records.push(Record {
            fields,
            end,
            line: record_line,
        });
    }
    Ok(records)
}

/// A field's text: unquoted as the `excel` dialect reads it.
fn field_text(raw: &[u8], loc: impl FnOnce() -> Location) -> Result<String> {
    let text =
        std::str::from_utf8(raw).map_err(|_| Error::catalog(loc(), CatalogErrorKind::NotUtf8))?;
    if let Some(inner) = text.strip_prefix('"') {
        // `"a""b"c` reads as `a"bc`: closing quote, then literal text.
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars().peekable();
        let mut quoted = true;
        while let Some(c) = chars.next() {
            if quoted && c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    out.push('"');
                } else {
                    quoted = false;
                }
            } else {
                out.push(c);
            }
        }
        Ok(out)
    } else {
        Ok(text.to_string())
    }
}

/// Reads a catalog file's ids and flag columns, and its bytes without the flags. `Ok(None)`
/// when the file does not exist.
pub fn read(path: &Path, id_column: &str) -> Result<Option<FlaggedCatalog>> {
    let bytes = match crate::fsutil::read_regular(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let body = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let records = split_records(&bytes, body, path)?;
    let Some(header) = records.first().filter(|r| !r.fields.is_empty()) else {
        return Ok(Some(FlaggedCatalog {
            path: path.to_path_buf(),
            ids: Vec::new(),
            flags: Vec::new(),
            stripped: bytes,
        }));
    };
    let names = header
        .fields
        .iter()
        .enumerate()
        .map(|(col, &(s, e))| {
            field_text(&bytes[s..e], || Location::line_col(path, 1, col as u64 + 1))
        })
        .collect::<Result<Vec<_>>>()?;
    let flag_cols: Vec<usize> = (0..names.len())
        .filter(|&c| LEGACY_FLAG_COLUMNS.contains(&names[c].as_str()))
        .collect();
    let id_col = names.iter().position(|n| n == id_column);
    if !flag_cols.is_empty() && id_col.is_none() {
        return Err(Error::catalog(
            Location::line(path, 1),
            CatalogErrorKind::NoIdColumn {
                column: id_column.to_string(),
            },
        ));
    }
    let mut catalog = FlaggedCatalog {
        path: path.to_path_buf(),
        ids: Vec::new(),
        flags: flag_cols
            .iter()
            .map(|&c| FlagColumn {
                name: names[c].clone(),
                values: Vec::new(),
            })
            .collect(),
        stripped: Vec::with_capacity(bytes.len()),
    };
    catalog.stripped.extend_from_slice(&bytes[..body]);
    for (n, record) in records.iter().enumerate() {
        let loc = |col: usize| Location::line_col(path, record.line, col as u64 + 1);
        if n > 0 && !record.fields.is_empty() {
            if record.fields.len() != names.len() {
                return Err(Error::catalog(
                    Location::line(path, record.line),
                    CatalogErrorKind::FieldCount {
                        found: record.fields.len(),
                        expected: names.len(),
                    },
                ));
            }
            if let Some(c) = id_col {
                let (s, e) = record.fields[c];
                catalog.ids.push(field_text(&bytes[s..e], || loc(c))?);
            }
            for (flag, &c) in catalog.flags.iter_mut().zip(&flag_cols) {
                let (s, e) = record.fields[c];
                let text = field_text(&bytes[s..e], || loc(c))?;
                let on = parse_flag(&text).ok_or_else(|| {
                    Error::catalog(
                        loc(c),
                        CatalogErrorKind::BadFlag {
                            flag: flag.name.to_string(),
                            value: text.to_string(),
                        },
                    )
                })?;
                flag.values.push(on);
            }
        }
        let mut first = true;
        for (c, &(s, e)) in record.fields.iter().enumerate() {
            if flag_cols.contains(&c) {
                continue;
            }
            if !first {
                catalog.stripped.push(b',');
            }
            first = false;
            catalog.stripped.extend_from_slice(&bytes[s..e]);
        }
        catalog
            .stripped
            .extend_from_slice(&bytes[record.end.0..record.end.1]);
    }
    if flag_cols.is_empty() {
        catalog.stripped = bytes;
    }
    Ok(Some(catalog))
}

/// Reads the flag catalog of `kind` from its place under `data_root`.
pub fn read_kind(data_root: &Path, kind: CatalogKind) -> Result<Option<FlaggedCatalog>> {
    let id_column = FLAGGED_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("id", |(_, c)| c);
    read(&kind.layout_path(data_root), id_column)
}

/// The ids a required flag selects in a required file, for `migrate legacy`.
pub fn require_selected(data_root: &Path, kind: CatalogKind, flag: &str) -> Result<Vec<String>> {
    let path = kind.layout_path(data_root);
    let catalog = read_kind(data_root, kind)?.ok_or_else(|| {
        Error::catalog(
            Location::file(&path),
            CatalogErrorKind::NoLegacyFile {
                label: kind.label(),
            },
        )
    })?;
    catalog.selected(flag).ok_or_else(|| {
        Error::catalog(
            Location::line(&path, 1),
            CatalogErrorKind::NoFlagColumn {
                flag: flag.to_string(),
                label: kind.label(),
            },
        )
    })
}

/// Reads a whole file, naming it on failure (used for the combo and replication files).
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    crate::fsutil::read_regular(path).at(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records as `crate::csvread` reads them: (line, field texts), or `None` on an error.
    fn by_csvread(bytes: &[u8]) -> Option<Vec<(u64, Vec<String>)>> {
        use crate::csvread::{CsvReader, Dialect, RawRecord};
        let mut reader = CsvReader::new(bytes, Dialect::default());
        let mut rec = RawRecord::default();
        let mut out = Vec::new();
        while reader.read_record(&mut rec).ok()? {
            let fields = rec
                .iter()
                .map(|f| String::from_utf8(f.to_vec()).ok())
                .collect::<Option<Vec<_>>>()?;
            out.push((rec.line, fields));
        }
        Some(out)
    }

    /// Records as this module splits them: (line, field texts), or `None` on an error.
    fn by_split(bytes: &[u8]) -> Option<Vec<(u64, Vec<String>)>> {
        let path = Path::new("t.csv");
        let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let records = split_records(bytes, start, path).ok()?;
        records
            .iter()
            .map(|r| {
                let fields = r
                    .fields
                    .iter()
                    .map(|&(a, b)| field_text(&bytes[a..b], || Location::file(path)).ok())
                    .collect::<Option<Vec<_>>>()?;
                Some((r.line, fields))
            })
            .collect()
    }

    proptest::proptest! {
        // This module splits records itself (it needs byte spans, which the streaming reader
        // does not keep); both must read every input alike: the same records, fields, lines
        // and refusals.
        #[test]
        fn records_split_exactly_as_the_csv_reader_reads_them(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["a", "bc", ",", "\"", "\"\"", "\r", "\n", "\r\n", "é", " "]),
                0..40,
            ),
            bom in proptest::bool::ANY,
        ) {
            let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
            bytes.extend(parts.concat().into_bytes());
            proptest::prop_assert_eq!(by_split(&bytes), by_csvread(&bytes), "{:?}", String::from_utf8_lossy(&bytes));
        }
    }

    fn read_bytes_as(bytes: &[u8]) -> Result<FlaggedCatalog> {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, bytes).expect("write");
        read(&path, "template_id").map(|c| c.expect("the file exists"))
    }

    #[test]
    fn flags_are_cut_out_keeping_every_other_byte() {
        let input = b"\xEF\xBB\xBFtemplate_id,active,description\r\n\
                      a,True,\"one, \"\"quoted\"\"\"\r\n\
                      \r\n\
                      b,False,\"multi\nline\"\r\n\
                      c,1,last";
        let catalog = read_bytes_as(input).expect("reads");
        assert_eq!(catalog.ids, ["a", "b", "c"]);
        assert_eq!(catalog.flags[0].values, [true, false, true]);
        assert_eq!(catalog.selected("active").expect("has active"), ["a", "c"]);
        assert_eq!(
            catalog.stripped,
            b"\xEF\xBB\xBFtemplate_id,description\r\n\
              a,\"one, \"\"quoted\"\"\"\r\n\
              \r\n\
              b,\"multi\nline\"\r\n\
              c,last"
        );
    }

    #[test]
    fn a_first_or_last_flag_column_leaves_no_stray_comma() {
        let catalog = read_bytes_as(b"active,template_id,x\nTRUE,a,1\n").expect("reads");
        assert_eq!(catalog.stripped, b"template_id,x\na,1\n");
        let catalog = read_bytes_as(b"template_id,x,active\na,1,\n").expect("reads");
        assert_eq!(catalog.stripped, b"template_id,x\na,1\n");
        assert_eq!(catalog.flags[0].values, [false]);
    }

    #[test]
    fn a_file_without_flags_is_returned_unchanged() {
        let input = b"template_id,x\r\na,\"1\"\r\n";
        let catalog = read_bytes_as(input).expect("reads");
        assert!(catalog.flags.is_empty());
        assert_eq!(catalog.stripped, input);
    }

    #[test]
    fn bad_flags_ragged_rows_and_open_quotes_are_refused_with_their_line() {
        let err = read_bytes_as(b"template_id,active\na,yes\n").expect_err("yes is refused");
        assert!(err.to_string().contains(":2:2: active is \"yes\""), "{err}");
        let err = read_bytes_as(b"template_id,active\na\n").expect_err("ragged");
        assert!(err.to_string().contains(":2: row has 1 fields"), "{err}");
        let err = read_bytes_as(b"template_id,active\n\"a,True\n").expect_err("open quote");
        assert!(
            err.to_string()
                .contains(":2: a quoted field is never closed"),
            "{err}"
        );
        let err = read_bytes_as(b"name,active\na,True\n").expect_err("no id column");
        assert!(
            err.to_string().contains("no \"template_id\" column"),
            "{err}"
        );
    }

    #[test]
    fn flag_values_parse_like_the_legacy_filter() {
        for on in ["True", "true", "TRUE", "1", " True "] {
            assert_eq!(parse_flag(on), Some(true), "{on}");
        }
        for off in ["False", "false", "FALSE", "0", ""] {
            assert_eq!(parse_flag(off), Some(false), "{off}");
        }
        assert_eq!(parse_flag("yes"), None);
    }
}
