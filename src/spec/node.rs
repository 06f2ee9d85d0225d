//! The document tree a spec file (or a YAML/JSON include) parses into: ordered mappings, and a
//! duplicate key is an error (D18), whether the parser is serde_yaml or serde_json.
//!
//! Scalars keep the type the parser gave them (D5 decides later which are acceptable levels).

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, Location, SpecErrorKind};

/// A parsed YAML/JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`, `~`, or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in i64.
    Int(i64),
    /// An integer outside the signed 64-bit range (kept as text for the error message).
    BigInt(String),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The string inside a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Looks up a string key in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A short description of the node's type, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Int(_) => "an integer",
            Node::BigInt(_) => "an integer",
            Node::Float(_) => "a float",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }

    /// The node as it would be written in YAML flow style, for messages.
    pub fn display(&self) -> String {
        match self {
            Node::Null => "null".into(),
            Node::Bool(b) => b.to_string(),
            Node::Int(i) => i.to_string(),
            Node::BigInt(s) => s.clone(),
            Node::Float(f) => format!("{f:?}"),
            Node::Str(s) => format!("{s:?}"),
            Node::Seq(items) => {
                let parts: Vec<String> = items.iter().map(Node::display).collect();
                format!("[{}]", parts.join(", "))
            }
            Node::Map(entries) => {
                let parts: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", k.display(), v.display()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }

    /// A key as text for paths and messages.
    pub fn key_text(&self) -> String {
        match self {
            Node::Str(s) => s.clone(),
            other => other.display(),
        }
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML or JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(i64::try_from(v)
            .map(Node::Int)
            .unwrap_or_else(|_| Node::BigInt(v.to_string())))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v)
            .map(Node::Int)
            .unwrap_or_else(|_| Node::BigInt(v.to_string())))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
        Ok(i64::try_from(v)
            .map(Node::Int)
            .unwrap_or_else(|_| Node::BigInt(v.to_string())))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(Node, Node)> = Vec::new();
        // String keys (nearly all) are checked through a set, so a mapping of many keys stays
        // linear; other keys are compared one by one (NaN is never a duplicate, as in YAML).
        let mut strings: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<Node>()? {
            let duplicate = match &key {
                Node::Str(text) => !strings.insert(text.clone()),
                other => entries.iter().any(|(k, _)| k == other),
            };
            if duplicate {
                return Err(de::Error::custom(format_args!(
                    "duplicate key {} (a key written twice silently kept the last value in the old \
                     tool; cohortdb refuses it, D18)",
                    key.display()
                )));
            }
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Node, A::Error> {
        Err(de::Error::custom(
            "YAML tags (`!name`) are not supported in specs",
        ))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// Why a YAML/JSON text did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The parser's complaint, where it says.
    Syntax {
        /// The parser's message, without its own position suffix.
        message: String,
        /// 1-based line.
        line: Option<u64>,
        /// 1-based column.
        column: Option<u64>,
    },
    /// JSON text that starts with a byte order mark: JSON does not allow one, and the
    /// reference's `json.loads` refused it (docs/decisions.md D20).
    ByteOrderMark,
    /// YAML with a byte order mark at the start of a line other than the very first
    /// (docs/decisions.md D20): libyaml reads it as indentation, and PyYAML as text.
    StrayByteOrderMark {
        /// 1-based line.
        line: u64,
    },
}

impl ParseError {
    /// The spec error for file `shown`, read as `format` (`"YAML"` or `"JSON"`).
    pub fn into_error(self, shown: &str, format: &'static str) -> Error {
        match self {
            ParseError::Syntax {
                message,
                line,
                column,
            } => Error::spec(
                Location::position(shown, line, column),
                SpecErrorKind::Syntax { format, message },
            ),
            ParseError::ByteOrderMark => Error::spec(
                Location::position(shown, Some(1), Some(1)),
                SpecErrorKind::JsonByteOrderMark,
            ),
            ParseError::StrayByteOrderMark { line } => Error::spec(
                Location::position(shown, Some(line), Some(1)),
                SpecErrorKind::StrayByteOrderMark,
            ),
        }
    }
}

/// The deepest nesting of flow collections (`[`, `{`) handed to the YAML parser. serde_yaml
/// refuses documents nested deeper than 128 levels, but only after libyaml has scanned the whole
/// text, which takes time quadratic in the flow depth (100,000 `[` take 40 s, 100,000 `{a: `
/// 80 s); such text is refused here first, in linear time.
pub const MAX_FLOW_DEPTH: usize = 1000;

/// Refuses text whose flow collections nest deeper than [`MAX_FLOW_DEPTH`]. A scan of the
/// characters that skips quoted scalars and comments; brackets inside plain scalars or block
/// scalars may count too, which only matters for text with a thousand of them unclosed.
fn check_flow_depth(text: &str) -> Result<(), ParseError> {
    let (mut depth, mut line, mut column) = (0usize, 1u64, 0u64);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut prev = ' ';
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
            comment = false;
            prev = ' ';
            continue;
        }
        match quote {
            _ if comment => {}
            Some('\'') if c == '\'' => {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    column += 1;
                } else {
                    quote = None;
                }
            }
            Some('"') if c == '\\' => {
                chars.next();
                column += 1;
            }
            Some('"') if c == '"' => quote = None,
            Some(_) => {}
            None => match c {
                '#' if prev.is_whitespace() => comment = true,
                '\'' | '"' if prev.is_whitespace() || "[{,:-".contains(prev) => quote = Some(c),
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Err(ParseError::Syntax {
                            message: format!(
                                "flow collections ([ ] or {{ }}) nested more than {MAX_FLOW_DEPTH} levels deep"
                            ),
                            line: Some(line),
                            column: Some(column),
                        });
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        prev = c;
    }
    Ok(())
}

/// Parses YAML text. An empty document is `Null`. One leading byte order mark is skipped, as
/// YAML allows and the reference's PyYAML does (docs/decisions.md D20); libyaml would count it
/// as the first column of the first line and misread the indentation.
pub fn parse_yaml(text: &str) -> Result<Node, ParseError> {
    let text = crate::textfmt::strip_bom(text);
    if let Some(line) = text
        .contains('\u{feff}')
        .then(|| {
            text.split('\n')
                .position(|l| l.starts_with('\u{feff}') || l.contains("\r\u{feff}"))
        })
        .flatten()
    {
        return Err(ParseError::StrayByteOrderMark {
            line: line as u64 + 1,
        });
    }
    check_flow_depth(text)?;
    match serde_yaml::from_str::<Node>(text) {
        Ok(node) => Ok(node),
        Err(e) => {
            let location = e.location();
            let mut message = e.to_string();
            // serde_yaml appends " at line L column C"; the Location carries that instead.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            let mut line = location.as_ref().map(|l| l.line() as u64);
            let mut column = location.as_ref().map(|l| l.column() as u64);
            // For a duplicate key, serde_yaml points at the start of the mapping; point at the
            // second occurrence of the key instead when the text shows it plainly.
            if let Some((l, c)) =
                duplicate_key(&message).and_then(|key| second_key_line(text, &key))
            {
                line = Some(l);
                column = Some(c);
            }
            Err(ParseError::Syntax {
                message,
                line,
                column,
            })
        }
    }
}

/// The key named by our duplicate-key message.
fn duplicate_key(message: &str) -> Option<String> {
    let rest = message.split("duplicate key ").nth(1)?;
    let quoted = rest.strip_prefix('"')?;
    let end = quoted.find("\" (")?;
    Some(quoted[..end].to_string())
}

/// The (line, column) of the second line that starts (after indentation or `- `) with `key:`,
/// at the same indentation as the first.
fn second_key_line(text: &str, key: &str) -> Option<(u64, u64)> {
    let mut first_indent = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start_matches([' ', '-']);
        let indent = line.len() - trimmed.len();
        let Some(after) = trimmed.strip_prefix(key) else {
            continue;
        };
        if !after.trim_start().starts_with(':') {
            continue;
        }
        match first_indent {
            None => first_indent = Some(indent),
            Some(i) if i == indent => return Some((n as u64 + 1, indent as u64 + 1)),
            Some(_) => {}
        }
    }
    None
}

/// The text of `output.seed` as written in a YAML document, however large: serde_yaml reads an
/// integer beyond 128 bits as a float, but hands a scalar's own text to a string (D23).
/// `None` when the document has no such scalar or does not parse.
pub fn yaml_output_seed_text(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Doc {
        output: Option<Output>,
    }
    #[derive(serde::Deserialize)]
    struct Output {
        seed: Option<String>,
    }
    serde_yaml::from_str::<Doc>(crate::textfmt::strip_bom(text))
        .ok()?
        .output?
        .seed
}

/// Parses JSON text. A leading byte order mark is refused by name (docs/decisions.md D20).
pub fn parse_json(text: &str) -> Result<Node, ParseError> {
    if text.starts_with('\u{feff}') {
        return Err(ParseError::ByteOrderMark);
    }
    serde_json::from_str::<Node>(text).map_err(|e| {
        let mut message = e.to_string();
        if let Some(i) = message.find(" at line ") {
            message.truncate(i);
        }
        ParseError::Syntax {
            message,
            line: Some(e.line() as u64),
            column: Some(e.column() as u64),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(e: ParseError) -> (String, Option<u64>, Option<u64>) {
        match e {
            ParseError::Syntax {
                message,
                line,
                column,
            } => (message, line, column),
            other => panic!("not a syntax error: {other:?}"),
        }
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_the_parser_sees_it() {
        let deep = format!(
            "axes:\n  x: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let started = std::time::Instant::now();
        let err = syntax(parse_yaml(&deep).expect_err("too deep"));
        assert!(err.0.contains("nested more than 1000 levels"), "{err:?}");
        assert_eq!((err.1, err.2), (Some(2), Some(1006)));
        // Linear: far from the parser's 40 s (a generous bound, not a benchmark).
        assert!(started.elapsed().as_secs() < 5);
        // Brackets in quotes and comments do not count; the parser's own limit still applies.
        let quoted = format!(
            "a: '{}'\nb: \"{}\" # {}\n",
            "[".repeat(5000),
            "{".repeat(5000),
            "[".repeat(5000)
        );
        assert!(parse_yaml(&quoted).is_ok());
        let err = syntax(
            parse_yaml(&format!("a: {}{}", "[".repeat(200), "]".repeat(200))).expect_err("deep"),
        );
        assert!(err.0.contains("recursion limit exceeded"), "{err:?}");
    }

    #[test]
    fn yaml_keeps_order_and_types() {
        let node = parse_yaml("b: [1, '1', x, 2.5, true, null]\na: {}\n").unwrap();
        let Node::Map(entries) = &node else {
            panic!("{node:?}")
        };
        assert_eq!(entries[0].0, Node::Str("b".into()));
        assert_eq!(entries[1].0, Node::Str("a".into()));
        assert_eq!(
            node.get("b").unwrap(),
            &Node::Seq(vec![
                Node::Int(1),
                Node::Str("1".into()),
                Node::Str("x".into()),
                Node::Float(2.5),
                Node::Bool(true),
                Node::Null
            ])
        );
    }

    #[test]
    fn duplicate_keys_are_errors_in_yaml_and_json() {
        let err = syntax(parse_yaml("axes:\n  a: [1]\naxes:\n  b: [2]\n").unwrap_err());
        assert!(err.0.contains("duplicate key \"axes\""), "{err:?}");
        assert_eq!((err.1, err.2), (Some(3), Some(1)));
        let err = syntax(parse_yaml("axes:\n  a: [1]\n  b: [2]\n  a: [3]\n").unwrap_err());
        assert_eq!(err.1, Some(4), "{err:?}");
        let err = syntax(parse_json("{\"a\": 1, \"a\": 2}").unwrap_err());
        assert!(err.0.contains("duplicate key \"a\""), "{err:?}");
        // Non-string keys are compared too; a string and a number that read alike are distinct.
        let err = syntax(parse_yaml("{1: a, x: b, 1: c}").unwrap_err());
        assert!(err.0.contains("duplicate key 1"), "{err:?}");
        assert!(parse_yaml("{1: a, '1': b}").is_ok());
    }

    #[test]
    fn yaml_1_1_oddities_stay_text() {
        // D5: serde_yaml reads these as the text written.
        let node = parse_yaml("[yes, on, '012', 1:30, 2025-01-01]").unwrap();
        let Node::Seq(items) = node else { panic!() };
        assert!(items.iter().all(|n| matches!(n, Node::Str(_))), "{items:?}");
    }

    #[test]
    fn the_output_seed_text_is_read_as_written() {
        let big = "123456789012345678901234567890123456789012345";
        let node = parse_yaml(&format!("output: {{seed: {big}}}")).unwrap();
        assert!(matches!(
            node.get("output").unwrap().get("seed"),
            Some(Node::Float(_))
        ));
        assert_eq!(
            yaml_output_seed_text(&format!(
                "axes: {{a: [x]}}\noutput:\n  field_order: [a]\n  seed: -{big}\n"
            ))
            .as_deref(),
            Some(format!("-{big}").as_str())
        );
        assert_eq!(
            yaml_output_seed_text("output: {seed: '7'}").as_deref(),
            Some("7")
        );
        assert_eq!(yaml_output_seed_text("output: {field_order: []}"), None);
        assert_eq!(yaml_output_seed_text("axes: {}"), None);
    }

    #[test]
    fn huge_integers_are_kept_for_the_message() {
        let node = parse_yaml("[9223372036854775808]").unwrap();
        assert!(matches!(&node, Node::Seq(v) if matches!(&v[0], Node::BigInt(_) | Node::Float(_))));
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
        let mut prev = "a";
        for name in names {
            bomb.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
            prev = name;
        }
        assert!(parse_yaml(&bomb).is_err());
        let deep = "[".repeat(5000) + &"]".repeat(5000);
        assert!(parse_yaml(&deep).is_err());
        assert!(parse_json(&deep).is_err());
    }

    #[test]
    fn one_leading_bom_is_skipped_in_yaml_and_refused_in_json() {
        for text in [
            "\u{feff}a: [x]\nb: {c: 1}\n",
            "\u{feff}a: [x]\r\nb: {c: 1}\r\n",
        ] {
            assert_eq!(
                parse_yaml(text).expect("a BOM is skipped"),
                parse_yaml(&text[3..]).expect("plain YAML")
            );
        }
        assert_eq!(parse_yaml("\u{feff}"), Ok(Node::Null));
        assert_eq!(
            parse_yaml("\u{feff}\u{feff}a: 1"),
            Err(ParseError::StrayByteOrderMark { line: 1 })
        );
        assert_eq!(
            parse_yaml("a: 1\r\n\u{feff}b: 2"),
            Err(ParseError::StrayByteOrderMark { line: 2 })
        );
        // Inside a value it is text (which D20 refuses in a level).
        assert!(parse_yaml("a: [x\u{feff}]").is_ok());
        assert_eq!(
            yaml_output_seed_text("\u{feff}output:\r\n  seed: 7\r\n").as_deref(),
            Some("7")
        );
        assert_eq!(parse_json("\u{feff}{}"), Err(ParseError::ByteOrderMark));
        assert!(parse_json("{\"a\": \"\u{feff}\"}").is_ok());
    }
}
