//! The gen_id derivation of docs/reference.md §3.9 and the SQL functions built on it, in one
//! small crate shared by everything that computes gen_ids: the `cohortdb` library (its build and
//! every connection it opens), the Python package (`cohortdb.gen_id`, …) and the SQLite
//! loadable extension (`.load libcohortdb_sqlite`). There is exactly one implementation.
//!
//! * [`Stage`], the Python string semantics the reference depends on ([`py_strip`],
//!   [`py_lower`], [`py_int`], [`py_int_text`]), [`SignatureWriter`] and [`gen_id`]: pure functions, no I/O.
//! * [`signature_digest`]: the 16-byte BLAKE3 digest cohortdb's gen_id registry keeps.
//! * [`sql`]: the SQL functions `gen_signature`, `gen_id`, `gen_signature_digest` — their
//!   argument rules over SQLite values, and [`sql::register`] for any rusqlite connection.

#![warn(missing_docs)]

use std::fmt::Write as _;

use blake2::Digest as _;
use blake2::digest::consts::U10;

pub mod sql;

/// A pipeline stage. The order of the variants is the order of membership.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Phase 1: a draft from a combo, a draft template and an LLM.
    Draft,
    /// Phase 2: an essay from a draft.
    Essay,
    /// Phase 3: an evaluation of an essay.
    Evaluation,
}

impl Stage {
    /// All stages in membership order.
    pub const ALL: [Stage; 3] = [Stage::Draft, Stage::Essay, Stage::Evaluation];

    /// The lowercase name used in files and ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Essay => "essay",
            Stage::Evaluation => "evaluation",
        }
    }

    /// The gen_id prefix (`d_`, `e_`, `v_`).
    pub fn prefix(self) -> &'static str {
        match self {
            Stage::Draft => "d_",
            Stage::Essay => "e_",
            Stage::Evaluation => "v_",
        }
    }

    /// Parses the exact lowercase stage name (`DRAFT` is not a stage, as in the reference).
    pub fn parse(s: &str) -> Option<Stage> {
        match s {
            "draft" => Some(Stage::Draft),
            "essay" => Some(Stage::Essay),
            "evaluation" => Some(Stage::Evaluation),
            _ => None,
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Python's `str.isspace()`: Rust's `char::is_whitespace` plus the information separators
/// U+001C–U+001F, which Python counts as whitespace and Rust does not (docs/reference.md §8 Q-UNI).
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` with no arguments.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Python's `str.lower()` (full Unicode lowercase mapping, final sigma included).
pub fn py_lower(s: &str) -> String {
    s.to_lowercase()
}

/// The most digits Python's `int()` reads from text (CPython's
/// `sys.int_info.default_max_str_digits`); leading zeros count, underscores do not.
pub const MAX_INT_DIGITS: usize = 4300;

/// Why a text is not an integer Python's `int()` reads (base 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntTextError {
    /// Not `int()`'s syntax: surrounding whitespace, an optional sign, then digits with single
    /// underscores between them (`"1.0"`, `"1__0"`, `"_1"`, `"1_"`, `"0x10"`, `""`).
    NotAnInteger,
    /// Decimal digits other than ASCII `0`–`9`. Python's `int()` reads them (`"٣"` is 3);
    /// cohortdb does not (docs/decisions.md D22).
    NonAsciiDigit,
    /// More than [`MAX_INT_DIGITS`] digits, which `int()` refuses too.
    TooLong {
        /// How many digits the text has.
        digits: usize,
    },
}

/// Whitespace `int()` skips around the number: ASCII space, `\t`, `\n`, `\v`, `\f`, `\r`, and
/// non-ASCII characters Python calls whitespace. Unlike [`py_strip`], not U+001C–U+001F:
/// `int("\x1c7")` is an error in Python.
fn is_int_space(c: char) -> bool {
    c.is_whitespace()
}

/// A text checked against `int()`'s syntax: its sign, and its digits with their underscores.
struct IntText<'a> {
    negative: bool,
    /// ASCII digits with single underscores between them.
    body: &'a str,
}

impl<'a> IntText<'a> {
    fn scan(text: &'a str) -> Result<IntText<'a>, IntTextError> {
        let s = text.trim_matches(is_int_space);
        let (negative, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (mut digits, mut other_digits, mut after_digit) = (0usize, false, false);
        for c in body.chars() {
            if c.is_ascii_digit() {
                digits += 1;
                after_digit = true;
            } else if c == '_' && after_digit {
                after_digit = false;
            } else if c.is_numeric() {
                other_digits = true;
                after_digit = true;
            } else {
                return Err(IntTextError::NotAnInteger);
            }
        }
        if !after_digit {
            // Empty, or ending in an underscore.
            return Err(IntTextError::NotAnInteger);
        }
        if other_digits {
            return Err(IntTextError::NonAsciiDigit);
        }
        if digits > MAX_INT_DIGITS {
            return Err(IntTextError::TooLong { digits });
        }
        Ok(IntText { negative, body })
    }

    /// The ASCII digits, most significant first.
    fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        self.body.bytes().filter(u8::is_ascii_digit)
    }
}

/// Python's `int(text)` for a string that fits an `i64`: surrounding whitespace, an optional
/// sign, ASCII digits with single underscores between them. `"1.0"`, `""`, `"1_"` and numbers
/// beyond 64 bits are `None` (see [`py_int_text`] for any size). (Python also accepts
/// non-ASCII decimal digits; cohortdb does not, docs/decisions.md D22.)
pub fn py_int(text: &str) -> Option<i64> {
    let scanned = IntText::scan(text).ok()?;
    let mut value: i64 = 0;
    for d in scanned.digits() {
        // Accumulated negatively, so i64::MIN fits.
        value = value.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if scanned.negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// Python's `int(text)` of any size (up to [`MAX_INT_DIGITS`] digits), as canonical decimal
/// text — what `str(int(text))` gives: a `-` only for a negative number, no leading zeros, `0`
/// for zero. `" 007 "` → `"7"`, `"-1_000"` → `"-1000"`, `"-0"` → `"0"`.
pub fn py_int_text(text: &str) -> Result<String, IntTextError> {
    let scanned = IntText::scan(text)?;
    let mut out = String::with_capacity(scanned.body.len() + 1);
    if scanned.negative {
        out.push('-');
    }
    for d in scanned.digits().skip_while(|&d| d == b'0') {
        out.push(char::from(d));
    }
    if out.len() <= usize::from(scanned.negative) {
        out.clear();
        out.push('0');
    }
    Ok(out)
}

/// Writes `value` in base 36 (`0-9a-z`) without padding (`"0"` for zero).
pub fn base36(value: u128) -> String {
    let mut out = String::with_capacity(26);
    push_base36(&mut out, value);
    out
}

const BASE36_DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
/// 36^12, the largest power of 36 below 2^64 whose digits fit a u64 chunk.
const CHUNK: u64 = 4_738_381_338_321_616_896;

fn push_base36(out: &mut String, value: u128) {
    // u128 division is slow; split once into u64 chunks of 12 digits.
    let mut chunks = [0u64; 3];
    let mut n = 0;
    let mut rest = value;
    loop {
        chunks[n] = (rest % u128::from(CHUNK)) as u64;
        rest /= u128::from(CHUNK);
        n += 1;
        if rest == 0 {
            break;
        }
    }
    let mut buf = [0u8; 36];
    let mut len = 0;
    for (k, chunk) in chunks[..n].iter().enumerate() {
        let mut c = *chunk;
        let last = k + 1 == n;
        let mut digits = 0;
        while c > 0 || (!last && digits < 12) || (last && digits == 0) {
            buf[len] = BASE36_DIGITS[(c % 36) as usize];
            len += 1;
            c /= 36;
            digits += 1;
        }
    }
    buf[..len].reverse();
    out.push_str(std::str::from_utf8(&buf[..len]).expect("base36 digits are ASCII"));
}

/// The one formatter of the canonical signature string (docs/reference.md §3.9 step 2): components
/// joined with `|`, then the decimal replicate, e.g. `combo-1|draft-a|gen-model|1`. Used by
/// cohortdb's `ids::signature`, by the build (whose components are normalised already) and by
/// the `gen_signature` SQL function ([`sql`]).
pub struct SignatureWriter<'a> {
    out: &'a mut String,
}

impl<'a> SignatureWriter<'a> {
    /// Starts a signature in `out` (cleared first).
    pub fn new(out: &'a mut String) -> Self {
        out.clear();
        SignatureWriter { out }
    }

    /// Appends a component that is normalised already (trimmed and lowercased).
    pub fn normalized(&mut self, part: &str) {
        self.out.push_str(part);
        self.out.push('|');
    }

    /// Appends a raw text component, normalised here (Python-trimmed, lowercased; an ASCII
    /// text is lowercased in place). Returns false, appending nothing, when it is empty.
    pub fn component(&mut self, value: &str) -> bool {
        let stripped = py_strip(value);
        if stripped.is_empty() {
            return false;
        }
        if stripped.is_ascii() {
            self.out
                .extend(stripped.bytes().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            self.out.push_str(&py_lower(stripped));
        }
        self.out.push('|');
        true
    }

    /// Appends an integer component in decimal.
    pub fn integer(&mut self, value: i64) {
        write!(self.out, "{value}|").expect("writing to a String cannot fail");
    }

    /// Ends the signature with the replicate, in decimal: an integer of any size (an `i64`, or
    /// the canonical text [`py_int_text`] gives for one beyond 64 bits).
    pub fn finish(self, replicate: impl std::fmt::Display) {
        write!(self.out, "{replicate}").expect("writing to a String cannot fail");
    }
}

/// `compute_deterministic_gen_id(stage, signature, collision_index)`: BLAKE2b with a 10-byte
/// digest over the canonical signature (plus `|collision:N`), read big-endian, in base 36,
/// prefixed by stage, suffixed `-N` for a collision index N > 0.
pub fn gen_id(stage: Stage, canonical_signature: &str, collision_index: u32) -> String {
    let mut hasher = blake2::Blake2b::<U10>::new();
    hasher.update(canonical_signature.as_bytes());
    if collision_index > 0 {
        hasher.update(format!("|collision:{collision_index}").as_bytes());
    }
    let digest = hasher.finalize();
    let mut value: u128 = 0;
    for byte in digest.iter() {
        value = (value << 8) | u128::from(*byte);
    }
    let mut id = String::with_capacity(24);
    id.push_str(stage.prefix());
    push_base36(&mut id, value);
    if collision_index > 0 {
        write!(id, "-{collision_index}").expect("write to String");
    }
    id
}

/// The registry's signature digest: the first 16 bytes of BLAKE3 over the signature text.
pub fn signature_digest(signature: &str) -> [u8; 16] {
    let hash = blake3::hash(signature.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&hash.as_bytes()[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_writer_joins_normalised_parts() {
        let mut out = String::from("stale");
        let mut w = SignatureWriter::new(&mut out);
        assert!(w.component(" Combo-1 "));
        w.normalized("draft-a");
        assert!(!w.component(" \u{1f} "), "empty after Python strip");
        w.integer(-3);
        assert!(w.component("ΣΑΣ"));
        w.finish(2);
        assert_eq!(out, "combo-1|draft-a|-3|σας|2");
    }
    fn blake2b80_hex(s: &str) -> String {
        let mut hasher = blake2::Blake2b::<U10>::new();
        hasher.update(s.as_bytes());
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    // Every vector of docs/reference.md §3.9.
    #[test]
    fn reference_vectors_hold() {
        let cases = [
            (
                Stage::Draft,
                "combo-1|draft-a|gen-model|1",
                0,
                "5f91242d74261501ccdc",
                "d_21hnyjluy35totlo",
            ),
            (
                Stage::Draft,
                "combo-1|draft-a|gen-model|2",
                0,
                "18c7dbbde5784e4b10e9",
                "d_j20xxjx46jf04bt",
            ),
            (
                Stage::Essay,
                "d_21hnyjluy35totlo|essay-x|1",
                0,
                "7bc6671947224a30b07d",
                "e_2n6ko9fgp89xemwt",
            ),
            (
                Stage::Evaluation,
                "e_2n6ko9fgp89xemwt|eval-1|eval-model|1",
                0,
                "01f50cd7b103c256718d",
                "v_1i6m1c7p4o18cct",
            ),
            (
                Stage::Draft,
                "combo|tpl|model|1",
                0,
                "fac59982971a244c4a0e",
                "d_5cucb6yezk5z03ri",
            ),
            (
                Stage::Draft,
                "combo|tpl|model|1",
                1,
                "a893d6f77c15ff17ebc9",
                "d_3lmvqkgnqsit2o5l-1",
            ),
            (
                Stage::Draft,
                "comboa|draft-tpl|gen-model|2",
                0,
                "ebb16b6c5b11dcb042b3",
                "d_518wg2h1qoy8ycab",
            ),
            (
                Stage::Draft,
                "combo_v1_a|creative-synthesis-v10|gemini_25_pro|1",
                0,
                "edfec8716711bd3a0815",
                "d_530mv6a462mquuj9",
            ),
        ];
        for (stage, canonical, collision, hex, id) in cases {
            let hashed = if collision > 0 {
                format!("{canonical}|collision:{collision}")
            } else {
                canonical.to_string()
            };
            assert_eq!(blake2b80_hex(&hashed), hex, "{canonical}");
            assert_eq!(gen_id(stage, canonical, collision), id, "{canonical}");
        }
    }

    #[test]
    fn python_strip_includes_information_separators() {
        assert_eq!(py_strip("\u{1c}\u{85} a b\u{3000}\t"), "a b");
        assert_eq!(py_strip("\u{200b}x"), "\u{200b}x");
    }

    #[test]
    fn python_int_accepts_what_python_accepts() {
        assert_eq!(py_int(" 3 "), Some(3));
        assert_eq!(py_int("+7"), Some(7));
        assert_eq!(py_int("-2"), Some(-2));
        assert_eq!(py_int("1_000"), Some(1000));
        assert_eq!(py_int("007"), Some(7));
        assert_eq!(py_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(py_int("9223372036854775807"), Some(i64::MAX));
        for bad in [
            "",
            " ",
            "1.0",
            "1__0",
            "_1",
            "1_",
            "x",
            "+",
            "1e3",
            "99999999999999999999",
            "9223372036854775808",
            "-9223372036854775809",
        ] {
            assert_eq!(py_int(bad), None, "{bad:?}");
        }
    }

    // Each accepted case is CPython 3.11's `str(int(text))`; each refused one raises ValueError
    // there (non-ASCII digits are read by Python and refused by cohortdb, D22).
    #[test]
    fn python_int_text_of_any_size() {
        for (text, canonical) in [
            ("7 ", "7"),
            ("  -3  ", "-3"),
            ("1_000", "1000"),
            ("-0", "0"),
            ("0_0", "0"),
            ("+007", "7"),
            (" \t\n\r\u{b}\u{c}7", "7"),
            ("\u{85}7\u{2028}", "7"),
            ("\u{a0}\u{3000}7", "7"),
            ("99999999999999999999", "99999999999999999999"),
            ("-000_123_456_789_012_345_678_901", "-123456789012345678901"),
        ] {
            assert_eq!(py_int_text(text).as_deref(), Ok(canonical), "{text:?}");
        }
        for bad in [
            "",
            " ",
            "+",
            "-",
            "1__0",
            "_1",
            "1_",
            "+_1",
            "-_1",
            "0x10",
            "1.0",
            "1e3",
            "+ 1",
            "--1",
            "\u{1c}7",
            "7\u{1f}",
            "\u{180e}7",
            "\u{200b}7",
            "\u{feff}7",
            "1 2",
        ] {
            assert_eq!(py_int_text(bad), Err(IntTextError::NotAnInteger), "{bad:?}");
        }
        for other in ["٣", "1٣", "-１２"] {
            assert_eq!(
                py_int_text(other),
                Err(IntTextError::NonAsciiDigit),
                "{other:?}"
            );
        }
        // Python counts every digit, leading zeros included, but not underscores.
        let limit = "1".repeat(MAX_INT_DIGITS);
        assert!(py_int_text(&limit).is_ok());
        assert_eq!(
            py_int_text(&format!("0{limit}")),
            Err(IntTextError::TooLong {
                digits: MAX_INT_DIGITS + 1
            })
        );
        assert_eq!(
            py_int_text(&"0".repeat(MAX_INT_DIGITS + 1)),
            Err(IntTextError::TooLong {
                digits: MAX_INT_DIGITS + 1
            })
        );
        let underscored = vec!["1"; MAX_INT_DIGITS].join("_");
        assert_eq!(py_int_text(&underscored).as_deref(), Ok(limit.as_str()));
    }

    proptest::proptest! {
        // Any integer written as int() reads it (whitespace around, a sign, leading zeros,
        // single underscores between digits) reads back as that integer.
        #[test]
        fn python_int_reads_every_spelling_of_a_number(
            n in proptest::num::i128::ANY,
            zeros in 0usize..3,
            plus in proptest::bool::ANY,
            cuts in proptest::collection::vec(proptest::bool::ANY, 40),
            space in proptest::sample::select(vec!["", " ", "\t", "\n ", "\u{a0}", "\u{3000}"]),
        ) {
            let magnitude = format!("{}{}", "0".repeat(zeros), n.unsigned_abs());
            let mut digits = String::new();
            for (i, d) in magnitude.chars().enumerate() {
                if i > 0 && cuts[i % cuts.len()] {
                    digits.push('_');
                }
                digits.push(d);
            }
            let sign = if n < 0 { "-" } else if plus { "+" } else { "" };
            let text = format!("{space}{sign}{digits}{space}");
            proptest::prop_assert_eq!(py_int_text(&text), Ok(n.to_string()));
            proptest::prop_assert_eq!(py_int(&text), i64::try_from(n).ok());
        }

        // Text that is not an integer never reads as one.
        #[test]
        fn python_int_refuses_what_is_not_an_integer(text in "[0-9_+\\- .a-z]{0,12}") {
            let python_syntax = {
                let t = text.trim_matches(' ');
                let body = t.strip_prefix(['+', '-']).unwrap_or(t);
                !body.is_empty()
                    && body.split('_').all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()))
            };
            proptest::prop_assert_eq!(py_int_text(&text).is_ok(), python_syntax, "{:?}", text);
        }
    }

    #[test]
    fn base36_has_no_padding() {
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
        assert_eq!(base36(u128::from(CHUNK)), "1000000000000");
        assert_eq!(base36(u128::from(CHUNK) - 1), "zzzzzzzzzzzz");
        let big: u128 = (1 << 80) - 1;
        let mut naive = Vec::new();
        let mut v = big;
        while v > 0 {
            naive.push(BASE36_DIGITS[(v % 36) as usize]);
            v /= 36;
        }
        naive.reverse();
        assert_eq!(base36(big), String::from_utf8(naive).unwrap());
    }
}
