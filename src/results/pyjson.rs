//! JSON as Python's `json.loads` reads it, and values as Python's `str()` prints them
//! (docs/reference.md, "Results", §2.2 and §4.8): `NaN`, `Infinity` and `-Infinity` accepted;
//! integers of any size kept exactly; duplicate keys keep the last value at the first key's
//! position; lone surrogate escapes kept (marked, since a Rust string cannot hold them); a
//! leading BOM, trailing commas, control characters inside strings and anything after the value
//! are errors. No serde: `serde_json` rejects `NaN`, loses big integers and does not keep
//! Python's key order.

use super::pytext::{float_repr, repr_str};

/// A decoded JSON value, as Python holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `null` (`None`).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer, as its canonical decimal text (`-0` is `0`); any size.
    Int(String),
    /// A float (`1.0`, `1e5`, `NaN`, `Infinity`).
    Float(f64),
    /// A string. `lone_surrogate` is set when it held a `\uD800`–`\uDFFF` escape without its
    /// pair: Python keeps such a string but cannot write it as UTF-8; here each one is U+FFFD.
    Str {
        /// The text.
        text: String,
        /// Whether a lone surrogate was replaced.
        lone_surrogate: bool,
    },
    /// An array.
    List(Vec<PyValue>),
    /// An object, keys in first-insertion order.
    Dict(Vec<(String, PyValue)>),
}

/// Why a JSON text is not what `json.loads` accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// What is wrong.
    pub message: &'static str,
    /// 0-based character position.
    pub at: usize,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (character {})", self.message, self.at)
    }
}

/// Python's recursion limit bounds the nesting `json.loads` accepts; deeper documents fail
/// there (a `RecursionError`), so they are refused here too.
const MAX_DEPTH: usize = 990;

/// Python 3.11 refuses integers of more than 4,300 digits (`sys.int_info.str_digits_check_threshold`).
const MAX_INT_DIGITS: usize = 4300;

/// Parses a whole document (text already decoded from UTF-8, newlines translated).
pub fn parse(text: &str) -> Result<PyValue, JsonError> {
    let chars: Vec<char> = text.chars().collect();
    if chars.first() == Some(&'\u{feff}') {
        return Err(JsonError {
            message: "Unexpected UTF-8 BOM",
            at: 0,
        });
    }
    let mut p = Parser { s: &chars, i: 0 };
    p.ws();
    let value = p.value(0)?;
    p.ws();
    if p.i != chars.len() {
        return Err(p.err("Extra data"));
    }
    Ok(value)
}

struct Parser<'a> {
    s: &'a [char],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, message: &'static str) -> JsonError {
        JsonError {
            message,
            at: self.i,
        }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        if self.s.len() >= self.i + n && word.chars().zip(&self.s[self.i..]).all(|(a, b)| a == *b) {
            self.i += n;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err("maximum recursion depth exceeded"));
        }
        match self.peek() {
            Some('"') => {
                let (text, lone_surrogate) = self.string()?;
                Ok(PyValue::Str {
                    text,
                    lone_surrogate,
                })
            }
            Some('{') => self.object(depth),
            Some('[') => self.array(depth),
            Some('n') if self.eat("null") => Ok(PyValue::Null),
            Some('t') if self.eat("true") => Ok(PyValue::Bool(true)),
            Some('f') if self.eat("false") => Ok(PyValue::Bool(false)),
            Some('N') if self.eat("NaN") => Ok(PyValue::Float(f64::NAN)),
            Some('I') if self.eat("Infinity") => Ok(PyValue::Float(f64::INFINITY)),
            Some('-') if self.eat("-Infinity") => Ok(PyValue::Float(f64::NEG_INFINITY)),
            Some('-' | '0'..='9') => self.number(),
            _ => Err(self.err("Expecting value")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some('0'..='9')) {
            self.i += 1;
        }
        self.i - start
    }

    /// `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`; an integer unless it has a fraction or an
    /// exponent (then Python's `float()` of it).
    fn number(&mut self) -> Result<PyValue, JsonError> {
        let start = self.i;
        let negative = self.peek() == Some('-');
        if negative {
            self.i += 1;
        }
        match self.peek() {
            Some('0') => self.i += 1,
            Some('1'..='9') => {
                self.digits();
            }
            _ => return Err(self.err("Expecting value")),
        }
        let int_end = self.i;
        let mut is_float = false;
        if self.peek() == Some('.') && matches!(self.s.get(self.i + 1), Some('0'..='9')) {
            self.i += 1;
            self.digits();
            is_float = true;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let save = self.i;
            self.i += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                self.i = save;
            } else {
                is_float = true;
            }
        }
        let text: String = self.s[start..self.i].iter().collect();
        if is_float {
            return Ok(PyValue::Float(text.parse().unwrap_or(f64::NAN)));
        }
        let digits: String = self.s[start + usize::from(negative)..int_end]
            .iter()
            .collect();
        if digits.len() > MAX_INT_DIGITS {
            return Err(JsonError {
                message: "Exceeds the limit (4300 digits) for integer string conversion",
                at: start,
            });
        }
        Ok(PyValue::Int(if negative && digits != "0" {
            format!("-{digits}")
        } else {
            digits
        }))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0;
        for _ in 0..4 {
            let d = self
                .peek()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(|| self.err("Invalid \\uXXXX escape"))?;
            v = v * 16 + d;
            self.i += 1;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<(String, bool), JsonError> {
        self.i += 1; // the opening quote
        let mut out = String::new();
        let mut lone = false;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("Unterminated string starting at"));
            };
            self.i += 1;
            match c {
                '"' => return Ok((out, lone)),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.err("Unterminated string starting at"));
                    };
                    self.i += 1;
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let first = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&first)
                                && self.s.get(self.i) == Some(&'\\')
                                && self.s.get(self.i + 1) == Some(&'u')
                            {
                                let save = self.i;
                                self.i += 2;
                                let second = self.hex4()?;
                                if (0xDC00..0xE000).contains(&second) {
                                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                                } else {
                                    self.i = save;
                                    first
                                }
                            } else {
                                first
                            };
                            match char::from_u32(cp) {
                                Some(c) => out.push(c),
                                None => {
                                    lone = true;
                                    out.push('\u{fffd}');
                                }
                            }
                        }
                        _ => return Err(self.err("Invalid \\escape")),
                    }
                }
                c if (c as u32) < 0x20 => return Err(self.err("Invalid control character at")),
                c => out.push(c),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<PyValue, JsonError> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(']') {
            self.i += 1;
            return Ok(PyValue::List(items));
        }
        loop {
            self.ws();
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some(']') => {
                    self.i += 1;
                    return Ok(PyValue::List(items));
                }
                _ => return Err(self.err("Expecting ',' delimiter")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<PyValue, JsonError> {
        self.i += 1;
        let mut entries: Vec<(String, PyValue)> = Vec::new();
        self.ws();
        if self.peek() == Some('}') {
            self.i += 1;
            return Ok(PyValue::Dict(entries));
        }
        loop {
            self.ws();
            if self.peek() != Some('"') {
                return Err(self.err("Expecting property name enclosed in double quotes"));
            }
            let (key, _) = self.string()?;
            self.ws();
            if self.peek() != Some(':') {
                return Err(self.err("Expecting ':' delimiter"));
            }
            self.i += 1;
            self.ws();
            let value = self.value(depth + 1)?;
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => entries.push((key, value)),
            }
            self.ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some('}') => {
                    self.i += 1;
                    return Ok(PyValue::Dict(entries));
                }
                _ => return Err(self.err("Expecting ',' delimiter")),
            }
        }
    }
}

impl PyValue {
    /// Python truthiness: `None`, `False`, `0`, `0.0`, `""`, `[]`, `{}` are false (NaN is true).
    pub fn truthy(&self) -> bool {
        match self {
            PyValue::Null => false,
            PyValue::Bool(b) => *b,
            PyValue::Int(text) => text != "0",
            PyValue::Float(f) => *f != 0.0,
            PyValue::Str { text, .. } => !text.is_empty(),
            PyValue::List(items) => !items.is_empty(),
            PyValue::Dict(entries) => !entries.is_empty(),
        }
    }

    /// The value of `key` in an object (`dict.get`).
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Python's type name, for `'list' object has no attribute 'get'`.
    pub fn type_name(&self) -> &'static str {
        match self {
            PyValue::Null => "NoneType",
            PyValue::Bool(_) => "bool",
            PyValue::Int(_) => "int",
            PyValue::Float(_) => "float",
            PyValue::Str { .. } => "str",
            PyValue::List(_) => "list",
            PyValue::Dict(_) => "dict",
        }
    }

    /// True when a string value (anywhere inside) held a lone surrogate.
    pub fn has_lone_surrogate(&self) -> bool {
        match self {
            PyValue::Str { lone_surrogate, .. } => *lone_surrogate,
            PyValue::List(items) => items.iter().any(PyValue::has_lone_surrogate),
            PyValue::Dict(entries) => entries.iter().any(|(_, v)| v.has_lone_surrogate()),
            _ => false,
        }
    }

    /// Python's `str(value)`: a string as is, numbers and containers as `repr`.
    pub fn py_str(&self) -> String {
        match self {
            PyValue::Str { text, .. } => text.clone(),
            other => other.py_repr(),
        }
    }

    /// Python's `repr(value)`: `None`, `True`, `3`, `3.5`, `'a'`, `[1, 'a']`, `{'k': 1}`.
    pub fn py_repr(&self) -> String {
        match self {
            PyValue::Null => "None".to_string(),
            PyValue::Bool(true) => "True".to_string(),
            PyValue::Bool(false) => "False".to_string(),
            PyValue::Int(text) => text.clone(),
            PyValue::Float(f) => float_repr(*f),
            PyValue::Str { text, .. } => repr_str(text),
            PyValue::List(items) => {
                let inner: Vec<String> = items.iter().map(PyValue::py_repr).collect();
                format!("[{}]", inner.join(", "))
            }
            PyValue::Dict(entries) => {
                let inner: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", repr_str(k), v.py_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    /// `pd.isna(value)` as the reference's origin check sees it: null and NaN, and a list that
    /// numpy makes a one-element array of a missing value (`[null]`, `[[NaN]]`).
    pub fn pandas_isna(&self) -> bool {
        match self {
            PyValue::Null => true,
            PyValue::Float(f) => f.is_nan(),
            PyValue::List(items) if items.len() == 1 => match &items[0] {
                PyValue::List(_) => items[0].pandas_isna(),
                PyValue::Null => true,
                PyValue::Float(f) => f.is_nan(),
                _ => false,
            },
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> PyValue {
        PyValue::Str {
            text: text.into(),
            lone_surrogate: false,
        }
    }

    #[test]
    fn reads_what_python_reads() {
        assert_eq!(
            parse(r#"{"a": 1, "b": [true, null, 2.5], "a": "x"}"#),
            Ok(PyValue::Dict(vec![
                ("a".into(), s("x")),
                (
                    "b".into(),
                    PyValue::List(vec![
                        PyValue::Bool(true),
                        PyValue::Null,
                        PyValue::Float(2.5)
                    ])
                ),
            ]))
        );
        assert!(matches!(parse("NaN"), Ok(PyValue::Float(f)) if f.is_nan()));
        assert_eq!(parse(" -Infinity "), Ok(PyValue::Float(f64::NEG_INFINITY)));
        assert_eq!(
            parse("123456789012345678901234567890"),
            Ok(PyValue::Int("123456789012345678901234567890".into()))
        );
        assert_eq!(parse("-0"), Ok(PyValue::Int("0".into())));
        assert_eq!(parse("1e400"), Ok(PyValue::Float(f64::INFINITY)));
        assert_eq!(parse(r#""\ud83d\ude00""#), Ok(s("😀")));
        assert!(matches!(
            parse(r#""\ud800""#),
            Ok(PyValue::Str {
                lone_surrogate: true,
                ..
            })
        ));
        for bad in [
            "",
            "\u{feff}{}",
            "{\"a\": 1,}",
            "[1,]",
            "01",
            "1.",
            ".5",
            "+1",
            "{'a': 1}",
            "\"a\tb\"",
            "{} x",
            "nul",
            "-NaN",
            "[",
            "\"\\x\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn values_print_as_python_str() {
        let v = parse(r#"{"k": 1, "j": [2.0, "it's", null, false, 1e16]}"#).unwrap();
        assert_eq!(
            v.py_str(),
            "{'k': 1, 'j': [2.0, \"it's\", None, False, 1e+16]}"
        );
        assert_eq!(parse("true").unwrap().py_str(), "True");
        assert_eq!(parse("\"x\"").unwrap().py_str(), "x");
        assert_eq!(parse("NaN").unwrap().py_str(), "nan");
    }

    #[test]
    fn truthiness_and_isna_follow_python_and_pandas() {
        for (text, truthy) in [
            ("null", false),
            ("0", false),
            ("0.0", false),
            ("-0.0", false),
            ("\"\"", false),
            ("[]", false),
            ("{}", false),
            ("false", false),
            ("NaN", true),
            ("\"  \"", true),
            ("\"0\"", true),
            ("[0]", true),
        ] {
            assert_eq!(parse(text).unwrap().truthy(), truthy, "{text}");
        }
        for (text, isna) in [
            ("null", true),
            ("NaN", true),
            ("[null]", true),
            ("[[NaN]]", true),
            ("[1]", false),
            ("[null, null]", false),
            ("\"NaN\"", false),
            ("{}", false),
        ] {
            assert_eq!(parse(text).unwrap().pandas_isna(), isna, "{text}");
        }
    }
}
