//! `@file:` includes (docs/reference.md §2.3): `.csv` (one column → strings, several → tuples of
//! strings), `.txt` (one value a line), `.yaml`/`.yml` and `.json` (any list).
//!
//! Every element comes back with its own location: `file:line` for CSV and TXT, `file: [i]`
//! for YAML and JSON. D7: CSV header names are trimmed before use, and errors in multi-column
//! files name the physical line.

use std::collections::HashMap;

use super::node::{Node, parse_json, parse_yaml};
use crate::csvread::{CsvError, CsvReader, Dialect, RawRecord};
use crate::error::{Error, Location, Result, SpecErrorKind};
use crate::ids::py_strip;

/// The prefix that marks an include.
pub const FILE_PREFIX: &str = "@file:";

/// One element of an included list.
#[derive(Debug, Clone, PartialEq)]
pub struct Included {
    /// The element (a string, a list of strings for CSV rows, any node for YAML/JSON).
    pub node: Node,
    /// Where it is.
    pub at: Location,
}

/// What an include produced.
pub enum IncludeContent {
    /// A list (what every include position needs).
    List(Vec<Included>),
    /// Something else (a YAML/JSON mapping or scalar); callers report it.
    NotAList(Node),
}

fn text<'a>(bytes: &'a [u8], shown: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        Error::spec(
            Location::file(shown),
            SpecErrorKind::NotUtf8 {
                what: "the file",
                at_byte: e.valid_up_to(),
            },
        )
    })
}

/// The extensions an include may have.
pub const EXTENSIONS: [&str; 5] = ["csv", "txt", "yaml", "yml", "json"];

/// Refuses an include whose extension no reader handles (checked before the file is read).
pub fn check_extension(rel: &str, at: &Location) -> Result<()> {
    let ext = rel
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if EXTENSIONS.contains(&ext.as_str()) {
        return Ok(());
    }
    Err(Error::spec(
        at.clone(),
        SpecErrorKind::UnsupportedInclude {
            rel: rel.to_string(),
            ext,
        },
    ))
}

/// Parses an included file's bytes according to its extension.
pub fn parse_include(
    rel: &str,
    shown: &str,
    bytes: &[u8],
    at: &Location,
) -> Result<IncludeContent> {
    let ext = rel
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => parse_csv(shown, bytes).map(IncludeContent::List),
        "txt" => parse_txt(shown, bytes).map(IncludeContent::List),
        "yaml" | "yml" => {
            let node = parse_yaml(text(bytes, shown)?).map_err(|e| e.into_error(shown, "YAML"))?;
            Ok(structured(node, shown))
        }
        "json" => {
            let node = parse_json(text(bytes, shown)?).map_err(|e| e.into_error(shown, "JSON"))?;
            Ok(structured(node, shown))
        }
        _ => check_extension(rel, at).map(|()| IncludeContent::List(Vec::new())),
    }
}

fn structured(node: Node, shown: &str) -> IncludeContent {
    match node {
        // The reference reads an empty YAML document as an empty list.
        Node::Null => IncludeContent::List(Vec::new()),
        Node::Seq(items) => IncludeContent::List(
            items
                .into_iter()
                .enumerate()
                .map(|(i, node)| Included {
                    node,
                    at: Location::yaml(shown, format!("[{i}]")),
                })
                .collect(),
        ),
        other => IncludeContent::NotAList(other),
    }
}

/// Python's `str.splitlines()` boundaries.
fn is_line_boundary(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{0b}'
            | '\u{0c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

fn parse_txt(shown: &str, bytes: &[u8]) -> Result<Vec<Included>> {
    let content = text(bytes, shown)?;
    if content.starts_with('\u{feff}') {
        // The reference keeps the BOM inside the first value, an invisible character D20
        // refuses in a level: refused here, by name.
        let first_line = content.split(is_line_boundary).next().unwrap_or_default();
        return Err(Error::spec(
            Location::line(shown, 1),
            SpecErrorKind::TxtByteOrderMark {
                kept: py_strip(first_line).to_string(),
            },
        ));
    }
    let mut out = Vec::new();
    let mut line_no = 0u64;
    let mut rest = content;
    while !rest.is_empty() {
        line_no += 1;
        let (line, next) = match rest.find(is_line_boundary) {
            Some(i) => {
                let boundary = rest[i..].chars().next().expect("found a boundary char");
                let mut end = i + boundary.len_utf8();
                if boundary == '\r' && rest[end..].starts_with('\n') {
                    end += 1;
                }
                (&rest[..i], &rest[end..])
            }
            None => (rest, ""),
        };
        let value = py_strip(line);
        if !value.is_empty() {
            out.push(Included {
                node: Node::Str(value.to_string()),
                at: Location::line(shown, line_no),
            });
        }
        rest = next;
    }
    Ok(out)
}

fn parse_csv(shown: &str, bytes: &[u8]) -> Result<Vec<Included>> {
    let mut reader = CsvReader::new(
        bytes,
        Dialect {
            universal_newlines: true,
            // The reference reads includes as plain UTF-8: a BOM stays part of the first
            // header name, which is only ever looked up (docs/decisions.md D20).
            keep_bom: true,
        },
    );
    let mut rec = RawRecord::default();
    let csv_error = |e: CsvError| match e {
        CsvError::UnterminatedQuote { line } => Error::spec(
            Location::line(shown, line),
            SpecErrorKind::CsvUnterminatedQuote,
        ),
        CsvError::Io(e) => Error::io(shown, e),
    };
    let field = |rec: &RawRecord, i: usize| -> Result<String> {
        std::str::from_utf8(rec.field(i))
            .map(str::to_string)
            .map_err(|_| {
                Error::spec(
                    Location::line_col(shown, rec.line, i as u64 + 1),
                    SpecErrorKind::CsvFieldNotUtf8,
                )
            })
    };
    if !reader.read_record(&mut rec).map_err(csv_error)? || rec.is_empty() {
        return Err(Error::spec(
            Location::line(shown, 1),
            SpecErrorKind::CsvNoHeader,
        ));
    }
    // D7: header names are trimmed before use; with duplicate names the last column wins.
    let mut names: Vec<String> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    for i in 0..rec.len() {
        let name = py_strip(&field(&rec, i)?).to_string();
        if name.is_empty() {
            continue;
        }
        names.push(name.clone());
        position.insert(name, i);
    }
    if names.is_empty() {
        return Err(Error::spec(
            Location::line(shown, 1),
            SpecErrorKind::CsvNoColumnNames,
        ));
    }
    let columns: Vec<usize> = names.iter().map(|n| position[n]).collect();
    let mut out = Vec::new();
    while reader.read_record(&mut rec).map_err(csv_error)? {
        if rec.is_empty() {
            continue;
        }
        let line = rec.line;
        let value_at = |rec: &RawRecord, column: usize| -> Result<String> {
            if column < rec.len() {
                Ok(py_strip(&field(rec, column)?).to_string())
            } else {
                Ok(String::new())
            }
        };
        if columns.len() == 1 {
            // Single-column mode: empty cells are skipped, as in the reference.
            let value = value_at(&rec, columns[0])?;
            if !value.is_empty() {
                out.push(Included {
                    node: Node::Str(value),
                    at: Location::line(shown, line),
                });
            }
            continue;
        }
        let mut values = Vec::with_capacity(columns.len());
        for (name, &column) in names.iter().zip(&columns) {
            let value = value_at(&rec, column)?;
            if value.is_empty() {
                return Err(Error::spec(
                    Location::line_col(shown, line, column as u64 + 1),
                    SpecErrorKind::CsvMissingValue {
                        column: name.clone(),
                    },
                ));
            }
            values.push(Node::Str(value));
        }
        out.push(Included {
            node: Node::Seq(values),
            at: Location::line(shown, line),
        });
    }
    if out.is_empty() {
        return Err(Error::spec(
            Location::file(shown),
            SpecErrorKind::CsvNoDataRows { columns: names },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Result<Vec<Included>> {
        parse_csv("f.csv", text.as_bytes())
    }

    #[test]
    fn single_column_csv_trims_and_skips_empty_cells() {
        let items = csv("draft_template\n draft-A \n\n,\ndraft-B\n").unwrap();
        let values: Vec<&Node> = items.iter().map(|i| &i.node).collect();
        assert_eq!(
            values,
            [&Node::Str("draft-A".into()), &Node::Str("draft-B".into())]
        );
        assert_eq!(items[1].at, Location::line("f.csv", 5));
    }

    #[test]
    fn multi_column_csv_gives_tuples_and_names_the_physical_line() {
        let items = csv("a, b\nx,y\n\n1, 2\n").unwrap();
        assert_eq!(
            items[1].node,
            Node::Seq(vec![Node::Str("1".into()), Node::Str("2".into())])
        );
        let err = csv("essay_template,essay_llm\ne1,m1\n\ne2,\n").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("f.csv:4:2") && text.contains("essay_llm"),
            "{text}"
        );
    }

    #[test]
    fn csv_header_rules() {
        // A header-only file: the one line is the header (docs/reference.md §6.1 L5).
        assert!(
            csv("draft-A\n")
                .unwrap_err()
                .to_string()
                .contains("no data rows")
        );
        assert!(csv("").is_err());
        assert!(csv("\nx\n").is_err());
        assert!(
            csv(" , \nx\n")
                .unwrap_err()
                .to_string()
                .contains("no column names")
        );
        // Duplicate names: the last column wins for both.
        let items = csv("x,x\n1,2\n").unwrap();
        assert_eq!(
            items[0].node,
            Node::Seq(vec![Node::Str("2".into()), Node::Str("2".into())])
        );
    }

    #[test]
    fn txt_lines_are_trimmed_and_blank_lines_dropped() {
        let items = parse_txt("t.txt", b"combo_v1_a\r\n\n  combo_v1_b  \n# kept\n").unwrap();
        let values: Vec<String> = items
            .iter()
            .map(|i| i.node.as_str().unwrap().to_string())
            .collect();
        assert_eq!(values, ["combo_v1_a", "combo_v1_b", "# kept"]);
        assert_eq!(items[1].at, Location::line("t.txt", 3));
    }

    #[test]
    fn yaml_and_json_includes() {
        let at = Location::file("c.yaml");
        match parse_include("l.yaml", "l.yaml", b"- a\n- 1\n", &at).unwrap() {
            IncludeContent::List(items) => assert_eq!(items[1].node, Node::Int(1)),
            IncludeContent::NotAList(_) => panic!(),
        }
        assert!(
            matches!(parse_include("l.yaml", "l.yaml", b"", &at).unwrap(), IncludeContent::List(v) if v.is_empty())
        );
        assert!(matches!(
            parse_include("o.json", "o.json", b"{\"a\": 1}", &at).unwrap(),
            IncludeContent::NotAList(_)
        ));
        assert!(parse_include("e.json", "e.json", b"", &at).is_err());
        assert!(parse_include("x.toml", "x.toml", b"", &at).is_err());
    }

    // docs/decisions.md D20: a CSV include keeps a BOM in its first header name, as the
    // reference's csv module does; a TXT include starting with one is refused by name.
    #[test]
    fn a_bom_stays_in_a_csv_header_and_refuses_a_txt_file() {
        let values = |text: &str| -> Vec<Node> {
            csv(text)
                .expect("the CSV reads")
                .into_iter()
                .map(|i| i.node)
                .collect()
        };
        let s = |v: &str| Node::Str(v.into());
        assert_eq!(values("\u{feff}draft_template\r\nA\r\n"), [s("A")]);
        // The BOM alone is a header name: one column (stripped, the line would be blank).
        assert_eq!(values("\u{feff}\nx\ny\n"), [s("x"), s("y")]);
        // Two names, so tuples (stripped, the empty first name would leave one column).
        assert_eq!(
            values("\u{feff},a\n1,2\n"),
            [Node::Seq(vec![s("1"), s("2")])]
        );
        let err = parse_txt("t.txt", "\u{feff}combo-1\r\ncombo-2\r\n".as_bytes())
            .expect_err("a BOM in a TXT include")
            .to_string();
        assert_eq!(
            err,
            "t.txt:1: the file starts with a byte order mark (U+FEFF): the reference kept it as \
             part of the first value, \"\\u{feff}combo-1\", which only looks like \"combo-1\" \
             (D20); save the file as UTF-8 without a BOM"
        );
    }
}
