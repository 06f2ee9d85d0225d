//! Level values: strings and integers (D5), and tuples of them built by pairs and tuples.
//!
//! Identity follows the reference: `1` and `"1"` are different levels; tuples compare element
//! by element (docs/reference.md §2.4).

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

/// The digit 0 of every block of Unicode decimal digits (general category Nd), from Python
/// 3.11's `unicodedata` (Unicode 14.0); each block holds the digits 0–9 in order. Generated with
/// `sorted({c - unicodedata.decimal(chr(c)) for c in range(0x110000)
/// if unicodedata.category(chr(c)) == 'Nd'})`.
const DECIMAL_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// The value of a Unicode decimal digit (`unicodedata.decimal`), ASCII included.
pub fn decimal_digit(c: char) -> Option<u32> {
    let cp = c as u32;
    let block = DECIMAL_ZEROS
        .partition_point(|&zero| zero <= cp)
        .checked_sub(1)?;
    let value = cp - DECIMAL_ZEROS[block];
    (value < 10).then_some(value)
}

/// The number Python's `int(text)` reads from text written with non-ASCII decimal digits
/// (`"٣"`, `"１２"`), in ASCII: the reference read such replicate counts as numbers, cohortdb
/// refuses them and suggests this form (docs/decisions.md D22). `None` when the text has only
/// ASCII digits, or when `int()` would refuse it too.
pub fn python_int_of_unicode_digits(text: &str) -> Option<String> {
    let s = crate::ids::py_strip(text);
    let (sign, body) = match s.chars().next()? {
        '+' => ("", &s[1..]),
        '-' => ("-", &s[1..]),
        _ => ("", s),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let mut digits = String::with_capacity(body.len());
    let mut non_ascii = false;
    for c in body.chars().filter(|&c| c != '_') {
        let value = decimal_digit(c)?;
        non_ascii |= !c.is_ascii();
        digits.push(char::from_digit(value, 10)?);
    }
    if !non_ascii {
        return None;
    }
    Some(match digits.trim_start_matches('0') {
        "" => "0".to_string(),
        significant => format!("{sign}{significant}"),
    })
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

#[cfg(test)]
mod unicode_digit_tests {
    use super::*;

    #[test]
    fn python_reads_other_decimal_digits_as_numbers() {
        for (text, want) in [
            ("٣", "3"),
            ("１２", "12"),
            (" -٤٢ ", "-42"),
            ("+٠٠٧", "7"),
            ("-٠", "0"),
            ("1_٠٠٠", "1000"),
            ("𝟗", "9"),
            ("३", "3"),
        ] {
            assert_eq!(
                python_int_of_unicode_digits(text).as_deref(),
                Some(want),
                "{text:?}"
            );
        }
        // ASCII-only text, and what int() refuses too.
        for text in [
            "3", "-12", "", "-", "٣.٠", "_٣", "٣_", "٣__٣", "x٣", "²", "Ⅲ",
        ] {
            assert_eq!(python_int_of_unicode_digits(text), None, "{text:?}");
        }
    }

    #[test]
    fn every_block_is_ten_digits_and_the_table_is_sorted() {
        assert!(DECIMAL_ZEROS.windows(2).all(|w| w[1] >= w[0] + 10));
        for zero in DECIMAL_ZEROS {
            for k in 0..10 {
                let c = char::from_u32(zero + k).expect("a digit is a char");
                assert_eq!(decimal_digit(c), Some(k), "U+{:04X}", zero + k);
            }
        }
        assert_eq!(decimal_digit('a'), None);
        assert_eq!(decimal_digit('\u{65a}'), None);
    }
}
