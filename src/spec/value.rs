//! Level values: strings and integers (D5), and tuples of them built by pairs and tuples.
//!
//! Identity follows the reference: `1` and `"1"` are different levels; tuples compare element
//! by element (semantics §2.4).

use std::fmt;

use crate::textfmt::push_json_str;

/// One level value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// An integer level (an unquoted YAML/JSON integer).
    Int(i64),
    /// A string level (quoted YAML, any CSV/TXT include value).
    Str(String),
    /// A composite: a pair `(left, right)` or a tuple item.
    Tuple(Vec<Value>),
}

impl Value {
    /// Python's `str(value)`: the text of a string, the decimal of an integer, the repr of a
    /// tuple (`('a', 1)`). This is what CSV output and the cohort's plan fields use.
    pub fn py_str(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Tuple(_) => self.py_repr(),
        }
    }

    /// Python's `repr(value)`.
    pub fn py_repr(&self) -> String {
        match self {
            Value::Str(s) => py_repr_str(s),
            Value::Int(i) => i.to_string(),
            Value::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(Value::py_repr).collect();
                if parts.len() == 1 {
                    format!("({},)", parts[0])
                } else {
                    format!("({})", parts.join(", "))
                }
            }
        }
    }

    /// Appends the value as `json.dumps` writes it inside a JSONL row (ASCII-escaped strings,
    /// tuples as arrays with `", "` separators).
    pub fn push_json(&self, out: &mut String) {
        match self {
            Value::Str(s) => push_json_str(out, s, true),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Tuple(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.push_json(out);
                }
                out.push(']');
            }
        }
    }

    /// The value at `path` inside nested tuples (an empty path is the value itself).
    pub fn at(&self, path: &[usize]) -> Option<&Value> {
        let mut current = self;
        for &i in path {
            match current {
                Value::Tuple(items) => current = items.get(i)?,
                _ => return None,
            }
        }
        Some(current)
    }
}

/// Shows values the way a spec writes them: strings quoted, tuples as `[a, b]`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Tuple(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double quote;
/// backslash, the quote, `\n`, `\r`, `\t` escaped; other non-printable characters as `\xNN`,
/// `\uNNNN` or `\UNNNNNNNN`.
fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_py_printable(c) => {
                let n = c as u32;
                if n < 0x100 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// An approximation of Python's `str.isprintable()` per character: control and format
/// characters, separators other than the space, and unassigned surrogates are not printable.
fn is_py_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c as u32, 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f
            | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb
            | 0xe000..=0xf8ff | 0xf0000..=0x10ffff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_str_and_repr() {
        let t = Value::Tuple(vec![Value::Str("a".into()), Value::Int(1)]);
        assert_eq!(t.py_str(), "('a', 1)");
        assert_eq!(
            Value::Tuple(vec![Value::Str("zz".into())]).py_repr(),
            "('zz',)"
        );
        assert_eq!(Value::Str("it's".into()).py_repr(), "\"it's\"");
        assert_eq!(Value::Str("a\nb\\".into()).py_repr(), "'a\\nb\\\\'");
        assert_eq!(Value::Str("é".into()).py_repr(), "'é'");
        assert_eq!(Value::Int(7).py_str(), "7");
    }

    #[test]
    fn json_form() {
        let mut out = String::new();
        Value::Tuple(vec![Value::Str("é".into()), Value::Int(2)]).push_json(&mut out);
        assert_eq!(out, "[\"\\u00e9\", 2]");
    }
}
