//! The Python text semantics the reference's results layer relies on (docs/reference.md,
//! "Results", §4.4 and §4.8): universal newlines, `str.strip`, `str.splitlines`, `repr` of a
//! string, `repr` of a float, and `float()` of a string. Pure functions, no I/O.

use std::borrow::Cow;

use super::unprintable::UNPRINTABLE;

/// Python's `str.isspace()` (U+0009–U+000D, U+001C–U+0020, U+0085, U+00A0, U+1680,
/// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
pub fn is_space(c: char) -> bool {
    crate::ids::is_py_space(c)
}

/// Python's `str.strip()`.
pub fn strip(s: &str) -> &str {
    crate::ids::py_strip(s)
}

/// Text mode with universal newlines: every `\r\n` and every lone `\r` becomes `\n`.
pub fn universal_newlines(s: &str) -> Cow<'_, str> {
    if !s.contains('\r') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
}

/// A line boundary of `str.splitlines()`.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{b}'
            | '\u{c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// The last element of `s.splitlines()` for a non-empty `s` that does not end with a line
/// break (a stripped text): everything after the last boundary (`\r\n` counts as one).
pub fn last_line(s: &str) -> &str {
    match s.rfind(is_line_break) {
        Some(at) => &s[at + s[at..].chars().next().map_or(1, char::len_utf8)..],
        None => s,
    }
}

/// Python's `str.isprintable()` for one character (Unicode 14.0, as Python 3.11).
pub fn is_printable(c: char) -> bool {
    let cp = c as u32;
    let i = UNPRINTABLE.partition_point(|&(start, _)| start <= cp);
    i == 0 || UNPRINTABLE[i - 1].1 < cp
}

/// Python's `repr()` of a string: single quotes, or double quotes when the text holds `'` and
/// no `"`; `\\`, the quote, `\t`, `\n`, `\r` escaped; other non-printable characters as `\xhh`,
/// `\uhhhh` or `\Uhhhhhhhh`; everything else verbatim. Never truncated.
pub fn repr_str(s: &str) -> String {
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
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c => {
                let cp = c as u32;
                if cp < 0x100 {
                    out.push_str(&format!("\\x{cp:02x}"));
                } else if cp < 0x10000 {
                    out.push_str(&format!("\\u{cp:04x}"));
                } else {
                    out.push_str(&format!("\\U{cp:08x}"));
                }
            }
        }
    }
    out.push(quote);
    out
}

/// Python's `repr()` of a float: the shortest digits that read back to the same value,
/// positional when the decimal exponent is in −4…15 (always with a `.`), else scientific with a
/// signed exponent of at least two digits; `inf`, `-inf`, `nan`.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // Rust's `{:e}` writes the shortest round-trip digits: `-1.2345e-7`, `1e16`, `0e0`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::from(sign);
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.push_str(&"0".repeat(int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    }
    out
}

/// Python's `float(text)` for a string: surrounding whitespace ignored, any Unicode decimal
/// digit read as its ASCII digit, single underscores between digits, `inf`/`infinity`/`nan` in
/// any case with an optional sign; the correctly rounded double (±inf beyond its range).
/// `None` where Python raises `ValueError`.
pub fn py_float(text: &str) -> Option<f64> {
    // Python first maps Unicode decimal digits to ASCII and Unicode spaces to ' ', and makes
    // any other non-ASCII character invalid.
    let mut ascii = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else if is_space(c) {
            ascii.push(' ');
        } else if let Some(d) = crate::spec::value::decimal_digit(c) {
            ascii.push(char::from_digit(d, 10)?);
        } else {
            return None;
        }
    }
    let s = ascii.trim_matches(|c: char| c.is_ascii_whitespace() || ('\x1c'..='\x1f').contains(&c));
    let s = remove_digit_underscores(s)?;
    let (sign, body) = match s.as_bytes().first()? {
        b'+' => (1.0, &s[1..]),
        b'-' => (-1.0, &s[1..]),
        _ => (1.0, &s[..]),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(sign * f64::INFINITY);
    }
    if lower == "nan" {
        return Some(f64::NAN);
    }
    if !is_decimal_literal(body) {
        return None;
    }
    let value: f64 = body.parse().ok()?;
    Some(sign * value)
}

/// Removes underscores that sit between two digits; `None` when any other underscore is found
/// (Python's `_Py_string_to_number_with_underscores`).
fn remove_digit_underscores(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('_') {
        return Some(Cow::Borrowed(s));
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let before = i > 0 && bytes[i - 1].is_ascii_digit();
            let after = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !(before && after) {
                return None;
            }
        } else {
            out.push(b as char);
        }
    }
    Some(Cow::Owned(out))
}

/// `digits [. digits] | . digits`, then an optional exponent `e[+-]digits`.
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_repr() {
        for (f, want) in [
            (7.0, "7.0"),
            (0.0001, "0.0001"),
            (1e15, "1000000000000000.0"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (1.2345678901234568e29, "1.2345678901234568e+29"),
            (1e-5, "1e-05"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (4.25, "4.25"),
            (0.1, "0.1"),
            (123.456, "123.456"),
            (1000.0, "1000.0"),
            (2.5e-4, "0.00025"),
            (9_999_999_999_999_998.0, "9999999999999998.0"),
        ] {
            assert_eq!(float_repr(f), want, "{f:e}");
        }
        assert_eq!(float_repr(f64::NAN), "nan");
    }

    #[test]
    fn python_float_accepts_what_python_does() {
        for (text, want) in [
            ("7", 7.0),
            ("  7 ", 7.0),
            ("+3", 3.0),
            ("1e3", 1000.0),
            ("1_0", 10.0),
            ("1_000.0_5", 1000.05),
            ("1e1_0", 1e10),
            ("5.", 5.0),
            (".5", 0.5),
            ("\u{663}", 3.0),
            ("\u{ff17}", 7.0),
            ("1e400", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("iNf", f64::INFINITY),
            ("007", 7.0),
            ("1e-400", 0.0),
        ] {
            assert_eq!(py_float(text), Some(want), "{text:?}");
        }
        assert!(py_float("-0").is_some_and(|f| f == 0.0 && f.is_sign_negative()));
        assert!(py_float("nan").is_some_and(f64::is_nan));
        assert!(py_float("-NaN").is_some_and(f64::is_nan));
        for bad in [
            "",
            ".",
            "8/10",
            "SCORE: 9",
            "1__0",
            "_1",
            "1_",
            "7 5",
            "0x10",
            "3,5",
            "\u{2212}1",
            "\u{feff}7",
            "\u{200b}7",
            "e5",
            "1e",
            "infi",
            "1_e5",
            "€",
            "+-1",
            "nan_",
        ] {
            assert_eq!(py_float(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reprs_quote_and_escape_like_python() {
        for (s, want) in [
            ("8/10", "'8/10'"),
            ("a'b", "\"a'b\""),
            ("it's \"x\"", "'it\\'s \"x\"'"),
            ("\u{feff}7", "'\\ufeff7'"),
            ("tab\there", "'tab\\there'"),
            ("é€😀", "'é€😀'"),
            ("a\\b", "'a\\\\b'"),
            ("\u{7}\u{85}\u{200b}\u{e000}", "'\\x07\\x85\\u200b\\ue000'"),
            ("\u{e0001}", "'\\U000e0001'"),
            ("\u{a0} ", "'\\xa0 '"),
        ] {
            assert_eq!(repr_str(s), want, "{s:?}");
        }
    }

    #[test]
    fn the_last_line_follows_splitlines() {
        assert_eq!(last_line("a\nb"), "b");
        assert_eq!(last_line("a\r\nb"), "b");
        assert_eq!(last_line("a\u{2028}b"), "b");
        assert_eq!(last_line("a\u{1f}b"), "a\u{1f}b");
        assert_eq!(last_line("one"), "one");
        assert_eq!(universal_newlines("a\r\nb\rc"), "a\nb\nc");
    }
}
