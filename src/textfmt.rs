//! Byte-exact text formats shared by compile output, `query`, and exported files.
//!
//! * CSV fields as Python's `csv` module writes them with `QUOTE_MINIMAL` (docs/reference.md §2.10):
//!   quoted only when the field holds a comma, a quote, `\r` or `\n`, or when it is the only
//!   field of a record and empty.
//! * JSON strings as Python's `json.dumps` writes them: `ensure_ascii=True` for JSONL rows
//!   (`\uXXXX`, surrogate pairs above the BMP), `ensure_ascii=False` for manifest and metadata.

use std::io::{self, Write};

/// `n` and a noun, plural unless `n` is 1: `count(1, "row")` is `1 row`, `count(2, "row")`
/// `2 rows`, `count(3, "batch")` `3 batches`. Every count a report or message prints goes
/// through this (or [`plural`]), so no line says `1 rows`.
pub fn count(n: impl Into<u128>, noun: &str) -> String {
    let n = n.into();
    format!("{n} {}", plural(n, noun))
}

/// The noun alone, plural unless `n` is 1 (for a count printed apart from its noun, as in a
/// table column): a noun ending in `s`, `x`, `z`, `ch` or `sh` takes `es`, any other `s`.
pub fn plural(n: impl Into<u128>, noun: &str) -> String {
    if n.into() == 1 {
        noun.to_string()
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| noun.ends_with(end))
    {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

/// The pointer to design decision `n` that messages and reports print:
/// `see docs/decisions.md#d<n>` (each decision has that anchor).
pub fn decision(n: u32) -> String {
    format!("see docs/decisions.md#d{n}")
}

/// The candidate nearest to `id`, for a "did you mean": Damerau-Levenshtein distance of at most
/// a third of `id`'s length (at least 1); on a tie the smallest. `None` when none is that near
/// (or `id` itself is a candidate: nothing to suggest).
pub fn nearest(id: &str, candidates: impl IntoIterator<Item = String>) -> Option<String> {
    let limit = (id.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| c.chars().count().abs_diff(id.chars().count()) <= limit)
        .map(|c| (strsim::damerau_levenshtein(id, &c), c))
        .filter(|(d, _)| (1..=limit).contains(d))
        .min()
        .map(|(_, near)| near)
}

/// A message's references to design decisions made followable: `(D9)` becomes
/// `(see docs/decisions.md#d9)`, `(D1, D2)` `(see docs/decisions.md#d1, #d2)`, and
/// `(append-only, D9)` `(append-only, see docs/decisions.md#d9)` — each decision has that
/// anchor in docs/decisions.md. Only a `D<n>` right after `(` or `, ` and before `)`, `,` or
/// `;` counts, so a quoted value such as `"D5"` is left alone. Applied once, where errors are
/// printed, so every message points the same way.
pub fn decision_links(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    // The decision reference at `at`: its number's end.
    let reference = |at: usize| -> Option<usize> {
        let starts = at > 0 && (bytes[at - 1] == b'(' || (at > 1 && &bytes[at - 2..at] == b", "));
        if !starts || bytes.get(at) != Some(&b'D') {
            return None;
        }
        let digits = bytes[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let end = at + 1 + digits;
        (digits > 0 && matches!(bytes.get(end), Some(b')' | b',' | b';'))).then_some(end)
    };
    if !(0..bytes.len()).any(|at| reference(at).is_some()) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 32);
    let mut at = 0;
    // Whether the previous reference ended just before this one (`D1, D2`).
    let mut in_run = false;
    while at < text.len() {
        if let Some(end) = reference(at) {
            let n = &text[at + 1..end];
            match (in_run, n.parse::<u32>()) {
                (true, _) => out.push_str(&format!("#d{n}")),
                (false, Ok(n)) => out.push_str(&decision(n)),
                (false, Err(_)) => out.push_str(&format!("D{n}")),
            }
            in_run = text[end..].starts_with(", D");
            at = end;
            continue;
        }
        if in_run {
            // The `, ` between two references of one run.
            out.push_str(", ");
            at += 2;
            continue;
        }
        let c = text[at..].chars().next().unwrap_or(' ');
        out.push(c);
        at += c.len_utf8();
    }
    std::borrow::Cow::Owned(out)
}

/// True when Python's csv writer would quote this field.
pub fn csv_needs_quotes(field: &[u8]) -> bool {
    field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// Writes one CSV field. `lone` says the record has exactly one field (an empty lone field is
/// written `""`, so the record is not a blank line).
pub fn write_csv_field<W: Write + ?Sized>(out: &mut W, field: &[u8], lone: bool) -> io::Result<()> {
    if csv_needs_quotes(field) {
        out.write_all(b"\"")?;
        let mut start = 0;
        for (i, &b) in field.iter().enumerate() {
            if b == b'"' {
                out.write_all(&field[start..=i])?;
                out.write_all(b"\"")?;
                start = i + 1;
            }
        }
        out.write_all(&field[start..])?;
        out.write_all(b"\"")
    } else if lone && field.is_empty() {
        out.write_all(b"\"\"")
    } else {
        out.write_all(field)
    }
}

/// Writes a whole CSV record with the given line ending.
pub fn write_csv_record<W: Write + ?Sized, F: AsRef<[u8]>>(
    out: &mut W,
    fields: &[F],
    line_end: &[u8],
) -> io::Result<()> {
    let lone = fields.len() == 1;
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_csv_field(out, field.as_ref(), lone)?;
    }
    out.write_all(line_end)
}

/// Appends `s` as a JSON string literal, escaped as Python's `json.dumps` does.
pub fn push_json_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => push_u_escape(out, c as u32),
            c if ensure_ascii && (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_u_escape(out, u32::from(*unit));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_u_escape(out: &mut String, unit: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((unit >> shift) & 0xf) as usize] as char);
    }
}

/// A JSON string literal (convenience over [`push_json_str`]).
pub fn json_str(s: &str, ensure_ascii: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_str(&mut out, s, ensure_ascii);
    out
}

/// A JSON value in the shape Python's `json.dumps(value, indent=2, ensure_ascii=False)`
/// prints it: the layout of `manifest.json` and `metadata.json` (docs/reference.md §3.12, §3.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PyJson {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// An integer beyond 64 bits, as its canonical decimal digits (how Python writes any int).
    BigInt(String),
    /// A list.
    List(Vec<PyJson>),
    /// An object with keys in insertion order.
    Object(Vec<(String, PyJson)>),
}

impl PyJson {
    /// Renders with 2-space indentation, `": "` and `","` separators, raw UTF-8, no trailing
    /// newline. Empty lists and objects print as `[]` and `{}`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out, 0);
        out
    }

    fn render_into(&self, out: &mut String, depth: usize) {
        match self {
            PyJson::Str(s) => push_json_str(out, s, false),
            PyJson::Int(i) => out.push_str(&i.to_string()),
            PyJson::BigInt(digits) => out.push_str(digits),
            PyJson::List(items) if items.is_empty() => out.push_str("[]"),
            PyJson::Object(items) if items.is_empty() => out.push_str("{}"),
            PyJson::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline_indent(out, depth + 1);
                    item.render_into(out, depth + 1);
                }
                newline_indent(out, depth);
                out.push(']');
            }
            PyJson::Object(items) => {
                out.push('{');
                for (i, (key, value)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline_indent(out, depth + 1);
                    push_json_str(out, key, false);
                    out.push_str(": ");
                    value.render_into(out, depth + 1);
                }
                newline_indent(out, depth);
                out.push('}');
            }
        }
    }
}

fn newline_indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// How many characters of a value an error message echoes.
pub const ECHO_CHARS: usize = 200;

/// `value` as an error message echoes it: whole when it has at most [`ECHO_CHARS`] characters,
/// else its first [`ECHO_CHARS`] and `… (N bytes)`. Every message that repeats user input or
/// store text goes through here, so a 100 MB line cannot become 100 MB on stderr.
pub fn capped(value: &str) -> String {
    capped_to(value, ECHO_CHARS)
}

/// [`capped`] with another bound: `main` caps each whole message line at
/// [`MESSAGE_CHARS`] as a last guard for values a message echoes without [`capped`].
pub fn capped_to(value: &str, chars: usize) -> String {
    match value.char_indices().nth(chars) {
        None => value.to_string(),
        Some((end, _)) => format!("{}… ({} bytes)", &value[..end], value.len()),
    }
}

/// The longest error line `main` prints, in characters.
pub const MESSAGE_CHARS: usize = 2000;

/// `{value:?}` (Rust debug quoting, escapes visible), capped like [`capped`].
pub fn capped_debug(value: &str) -> String {
    match value.char_indices().nth(ECHO_CHARS) {
        None => format!("{value:?}"),
        Some((end, _)) => format!("{:?}… ({} bytes)", &value[..end], value.len()),
    }
}

/// The byte order mark, U+FEFF, as UTF-8: three bytes a Windows editor may put at the start
/// of a file. Which files have it stripped, which keep it and which refuse it is
/// docs/decisions.md D20.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `text` without one leading byte order mark (docs/decisions.md D20).
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// True for a Unicode format character (general category `Cf`: U+00AD, U+200B, U+202E,
/// U+2060, U+FEFF, U+E0001, …).
pub fn is_format_char(c: char) -> bool {
    use unicode_general_category::{GeneralCategory, get_general_category};
    get_general_category(c) == GeneralCategory::Format
}

/// The first invisible character of an id (docs/decisions.md D9, D20): a control character or
/// a format character ([`is_format_char`]), with its 1-based character position.
pub fn first_invisible(id: &str) -> Option<(usize, char)> {
    // Every format character is beyond ASCII (the first is U+00AD): ASCII needs one byte scan.
    if id.is_ascii() {
        return id
            .bytes()
            .position(|b| b.is_ascii_control())
            .map(|i| (i + 1, char::from(id.as_bytes()[i])));
    }
    id.chars()
        .enumerate()
        .find_map(|(i, c)| (c.is_control() || is_format_char(c)).then_some((i + 1, c)))
}

/// The first format character of a value ([`is_format_char`]), with its 1-based position.
pub fn first_format_char(value: &str) -> Option<(usize, char)> {
    if value.is_ascii() {
        return None;
    }
    value
        .chars()
        .enumerate()
        .find_map(|(i, c)| is_format_char(c).then_some((i + 1, c)))
}

/// The D20 message for `id` holding the invisible character `c` at `position`:
/// `"a\u{200b}b" contains an invisible format character U+200B at character 2 (…)`.
pub fn invisible_message(id: &str, (position, c): (usize, char)) -> String {
    let kind = if c.is_control() {
        "a control character"
    } else {
        "an invisible format character"
    };
    format!(
        "{} contains {kind} U+{:04X} at character {position} (see docs/decisions.md#d9, #d20)",
        capped_debug(id),
        u32::from(c)
    )
}

/// [`invisible_message`] for the first invisible character of `id`, or `None`.
pub fn invisible_problem(id: &str) -> Option<String> {
    first_invisible(id).map(|found| invisible_message(id, found))
}

/// True for a character a terminal does not show as itself: control characters (C0 — LF,
/// CR, TAB, ESC, BEL… —, DEL, C1), Unicode format characters ([`is_format_char`]: bidi
/// overrides, zero-width characters) and the line and paragraph separators U+2028, U+2029.
fn shows_otherwise(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}' || (!c.is_ascii() && is_format_char(c))
}

/// `text` as it may reach a terminal: every character `shows_otherwise` escaped visibly
/// (`\n`, `\r`, `\t`, `\u{1b}`, `\u{202e}`) and a backslash doubled only where it would
/// otherwise read as such an escape is not needed — a backslash stays as typed. Untrusted text
/// (file names, spec names and values, catalog text, store content) goes through here before it
/// is printed as text (docs/reliability.md, "Terminal output"), so it can neither forge a line
/// nor send escape sequences.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(shows_otherwise) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if shows_otherwise(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`visible`] for a whole printed text whose own line breaks are meant: every `\n` is kept,
/// everything else [`visible`] escapes is escaped. The last guard of report text on stdout.
pub fn visible_lines(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && shows_otherwise(c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&visible(line));
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {

    #[test]
    fn nearest_is_within_a_third_of_the_length_and_never_the_id_itself() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            nearest("judg", ids(&["judge", "gen-a"])).as_deref(),
            Some("judge")
        );
        assert_eq!(
            nearest("alpah", ids(&["alpha", "beta"])).as_deref(),
            Some("alpha")
        );
        // A tie goes to the smallest id; an exact match is no suggestion.
        assert_eq!(nearest("ab", ids(&["ac", "aa"])).as_deref(), Some("aa"));
        assert_eq!(nearest("alpha", ids(&["alpha"])), None);
        // Two edits in a six-letter id is the most; one is allowed in a short one.
        assert_eq!(nearest("abcdef", ids(&["abcxyz"])), None);
        assert_eq!(
            nearest("abcdef", ids(&["abcdxy"])).as_deref(),
            Some("abcdxy")
        );
        assert_eq!(nearest("x", ids(&["y"])).as_deref(), Some("y"));
        assert_eq!(nearest("x", ids(&["yz"])), None);
    }
    use super::*;

    #[test]
    fn decision_references_become_links() {
        assert_eq!(
            decision_links("the cohort would be empty (D15)"),
            "the cohort would be empty (see docs/decisions.md#d15)"
        );
        assert_eq!(
            decision_links("shared (D1, D2); done"),
            "shared (see docs/decisions.md#d1, #d2); done"
        );
        assert_eq!(
            decision_links("differs (catalogs are append-only, D9); restore it"),
            "differs (catalogs are append-only, see docs/decisions.md#d9); restore it"
        );
        assert_eq!(
            decision_links("unknown key \"D5\" (D18)"),
            "unknown key \"D5\" (see docs/decisions.md#d18)"
        );
        assert_eq!(
            decision_links("no reference (Dx) D7"),
            "no reference (Dx) D7"
        );
    }

    #[test]
    fn plural_forms_follow_the_count() {
        assert_eq!(count(1u64, "row"), "1 row");
        assert_eq!(count(0u64, "row"), "0 rows");
        assert_eq!(count(2u64, "batch"), "2 batches");
        assert_eq!(count(1u64, "batch"), "1 batch");
        assert_eq!(count(3u128, "generation folder"), "3 generation folders");
        assert_eq!(plural(1u64, "member"), "member");
        assert_eq!(plural(7u64, "member"), "members");
    }

    #[test]
    fn visible_escapes_what_a_terminal_would_interpret() {
        assert_eq!(visible("plain text, ü, 日本"), "plain text, ü, 日本");
        assert_eq!(visible("a\nb\rc\td"), "a\\nb\\rc\\td");
        assert_eq!(visible("\u{1b}[31mred\u{7}"), "\\u{1b}[31mred\\u{7}");
        assert_eq!(
            visible("x\u{202e}y\u{200b}z\u{9b}"),
            "x\\u{202e}y\\u{200b}z\\u{9b}"
        );
        assert_eq!(visible("\u{2028}"), "\\u{2028}");
        assert_eq!(visible_lines("a\u{1b}\nb\r\n"), "a\\u{1b}\nb\\r\n");
    }

    #[test]
    fn counts_are_singular_only_for_one() {
        assert_eq!(count(0u64, "row"), "0 rows");
        assert_eq!(count(1u64, "draft"), "1 draft");
        assert_eq!(count(3u64, "level"), "3 levels");
    }

    fn csv(fields: &[&str]) -> String {
        let mut out = Vec::new();
        write_csv_record(&mut out, fields, b"\r\n").unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_minimally_like_python() {
        assert_eq!(csv(&["a", "b"]), "a,b\r\n");
        assert_eq!(
            csv(&["a,b", "say \"hi\""]),
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(
            csv(&["line\nbreak", " spaced "]),
            "\"line\nbreak\", spaced \r\n"
        );
        assert_eq!(csv(&[""]), "\"\"\r\n");
        assert_eq!(csv(&["", ""]), ",\r\n");
        assert_eq!(csv(&[]), "\r\n");
    }

    #[test]
    fn json_escapes_like_python() {
        assert_eq!(
            json_str("é\u{1F600}\"\\\n\u{1}", true),
            "\"\\u00e9\\ud83d\\ude00\\\"\\\\\\n\\u0001\""
        );
        assert_eq!(json_str("é\u{7f}", false), "\"é\u{7f}\"");
        assert_eq!(json_str("\u{7f}", true), "\"\\u007f\"");
    }

    #[test]
    fn py_json_matches_indent_2() {
        let value = PyJson::Object(vec![
            (
                "combos".into(),
                PyJson::List(vec![PyJson::Str("c1".into())]),
            ),
            ("replication".into(), PyJson::Object(vec![])),
            ("n".into(), PyJson::Int(2)),
        ]);
        assert_eq!(
            value.render(),
            "{\n  \"combos\": [\n    \"c1\"\n  ],\n  \"replication\": {},\n  \"n\": 2\n}"
        );
    }

    #[test]
    fn echoed_values_are_capped() {
        assert_eq!(capped("short"), "short");
        let long = "é".repeat(1000);
        let shown = capped(&long);
        assert_eq!(shown, format!("{}… (2000 bytes)", "é".repeat(200)));
        assert!(capped_debug(&"x".repeat(10_000_000)).len() < 300);
    }

    #[test]
    fn format_characters_are_invisible() {
        for (id, position, code) in [
            ("\u{feff}a", 1, 0xfeff),
            ("a\u{200b}b", 2, 0x200b),
            ("ab\u{202e}", 3, 0x202e),
            ("a\u{00ad}", 2, 0xad),
            ("a\u{2060}", 2, 0x2060),
            ("a\u{e0001}", 2, 0xe0001),
            ("a\u{110bd}", 2, 0x110bd),
            ("a\tb", 2, 9),
        ] {
            let (p, c) = first_invisible(id).unwrap();
            assert_eq!((p, u32::from(c)), (position, code), "{id:?}");
        }
        for id in ["abc", "é-ü", "日本", "a b", "\u{2028}x"] {
            // U+2028 is a separator (Zl), not Cf: visible checks of D9 cover it elsewhere.
            assert!(
                first_invisible(id).is_none() || id.contains('\u{2028}'),
                "{id:?}"
            );
        }
        assert!(
            invisible_problem("a\u{200b}")
                .unwrap()
                .contains("U+200B at character 2")
        );
    }
}
