//! A shuffle seed: any decimal integer, of any size (docs/decisions.md D23). It sits at the
//! bottom of the crate because the spec (`output.seed`), the compiler (the shuffle), the record
//! (its storage and the spec hash) and the CLI all carry it; `compile::shuffle` re-exports it.

use std::fmt;
use std::str::FromStr;

use cohortdb_genid::IntTextError;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// The most digits a seed may have, leading zeros included. CPython's `int()` refuses longer
/// decimal text (`sys.int_info.default_max_str_digits`), so the reference CLI could not read
/// such a seed either; the bound also keeps the decimal-to-binary conversion cheap
/// (docs/decisions.md D23).
pub const MAX_SEED_DIGITS: usize = cohortdb_genid::MAX_INT_DIGITS;

/// A shuffle seed: any integer Python's `int()` reads, up to [`MAX_SEED_DIGITS`] digits,
/// negative included (docs/decisions.md D23). Kept as canonical decimal text: an optional `-`, no leading zeros,
/// `0` for zero. Seeds that differ only in sign shuffle alike (Python seeds from `|seed|`) but
/// are different seeds for the record's hash, as they always were.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Seed {
    text: String,
}

impl Seed {
    /// The seed as an `i64`, when it is one.
    pub fn as_i64(&self) -> Option<i64> {
        self.text.parse().ok()
    }

    /// The canonical decimal text (also what [`fmt::Display`] writes).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// CPython's `init_by_array` key for `random.seed(seed)`: `|seed|` split into 32-bit words,
    /// least significant first, `[0]` for zero (docs/reference.md §2.7.6).
    pub fn to_mt_key(&self) -> Vec<u32> {
        let digits = self.text.trim_start_matches('-');
        let mut words: Vec<u32> = Vec::with_capacity(digits.len() / 9 + 1);
        // Nine decimal digits at a time, most significant first: words = words·10^k + chunk.
        for chunk in digits.as_bytes().chunks(9) {
            let scale = 10u64.pow(chunk.len() as u32);
            let mut carry = chunk.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            for word in &mut words {
                // (2³²−1)·10⁹ + carry < 2⁶⁴, and the new carry stays below 2³².
                let v = u64::from(*word) * scale + carry;
                *word = v as u32;
                carry = v >> 32;
            }
            if carry > 0 {
                words.push(carry as u32);
            }
        }
        if words.is_empty() {
            words.push(0);
        }
        words
    }
}

impl From<i64> for Seed {
    fn from(n: i64) -> Self {
        Seed {
            text: n.to_string(),
        }
    }
}

/// Why a text is not a seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedError {
    /// Not what Python's `int()` reads: an optional sign and decimal digits (single underscores
    /// between them), whitespace around.
    NotAnInteger {
        /// The text (shortened when long).
        text: String,
    },
    /// Digits other than ASCII `0`–`9` (Python's `int()` reads them; cohortdb does not, as
    /// for every integer it reads, docs/decisions.md D22).
    NonAsciiDigit {
        /// The text (shortened when long).
        text: String,
    },
    /// More than [`MAX_SEED_DIGITS`] digits (leading zeros count, as in Python).
    TooLong {
        /// The number of significant digits.
        digits: usize,
    },
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedError::NotAnInteger { text } => write!(
                f,
                "{text:?} is not an integer (an optional sign and the digits 0-9, single \
                 underscores between them; any size)"
            ),
            SeedError::NonAsciiDigit { text } => write!(
                f,
                "{text:?} has non-ASCII digits (the reference's int() reads them; cohortdb takes \
                 the digits 0-9 only, D22)"
            ),
            SeedError::TooLong { digits } => write!(
                f,
                "a seed of {digits} digits is longer than the {MAX_SEED_DIGITS} digits Python's int() \
                 reads (the reference refuses it too)"
            ),
        }
    }
}

impl std::error::Error for SeedError {}

/// At most 60 characters of `text`, for messages.
fn shortened(text: &str) -> String {
    const SHOWN: usize = 60;
    match text.char_indices().nth(SHOWN) {
        None => text.to_string(),
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
    }
}

impl FromStr for Seed {
    type Err = SeedError;

    /// What Python's `int()` reads (docs/decisions.md D23): whitespace around, an optional `+`
    /// or `-`, ASCII digits with single underscores between them, leading zeros allowed.
    fn from_str(s: &str) -> Result<Self, SeedError> {
        cohortdb_genid::py_int_text(s)
            .map(|text| Seed { text })
            .map_err(|e| match e {
                IntTextError::NotAnInteger => SeedError::NotAnInteger { text: shortened(s) },
                IntTextError::NonAsciiDigit => SeedError::NonAsciiDigit { text: shortened(s) },
                IntTextError::TooLong { digits } => SeedError::TooLong { digits },
            })
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The bare number, so `Some(seed)` reads `Some(42)` in messages as it did for an `i64`.
impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// In the store (`cohort_records.seed`): a seed that fits an `i64` is an INTEGER, exactly as
/// before; a larger one is its decimal text as a BLOB, because SQLite's integer affinity would
/// turn such text into a lossy REAL.
impl ToSql for Seed {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.as_i64() {
            Some(n) => ToSqlOutput::from(n),
            None => ToSqlOutput::Borrowed(ValueRef::Blob(self.text.as_bytes())),
        })
    }
}

/// Reads what [`ToSql`] writes; the store is untrusted, so anything else is an error.
impl FromSql for Seed {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Integer(n) => Ok(Seed::from(n)),
            ValueRef::Blob(bytes) | ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map_err(|e| FromSqlError::Other(Box::new(e)))?
                .parse()
                .map_err(|e: SeedError| FromSqlError::Other(Box::new(e))),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(text: &str) -> Seed {
        text.parse().expect("a test seed")
    }

    #[test]
    fn mt_keys_are_the_32_bit_words_of_the_magnitude() {
        assert_eq!(seed("0").to_mt_key(), [0]);
        assert_eq!(seed("-42").to_mt_key(), [42]);
        assert_eq!(seed("4294967296").to_mt_key(), [0, 1]);
        assert_eq!(seed("18446744073709551616").to_mt_key(), [0, 0, 1]);
        assert_eq!(seed("-9223372036854775809").to_mt_key(), [1, 0x8000_0000]);
        // 2¹²⁸ − 1: four full words.
        assert_eq!(
            seed("340282366920938463463374607431768211455").to_mt_key(),
            [u32::MAX; 4]
        );
        for n in [1i64, 1_000_000_000, i64::MAX, i64::MIN, -5_000_000_000] {
            let m = n.unsigned_abs();
            let want: Vec<u32> = if m >> 32 == 0 {
                vec![m as u32]
            } else {
                vec![m as u32, (m >> 32) as u32]
            };
            assert_eq!(Seed::from(n).to_mt_key(), want, "{n}");
        }
    }

    #[test]
    fn seeds_parse_to_canonical_text() {
        for (written, canonical) in [
            ("42", "42"),
            ("+42", "42"),
            ("-42", "-42"),
            ("007", "7"),
            ("-0", "0"),
            ("000", "0"),
            ("-00018446744073709551616", "-18446744073709551616"),
            // Python's int() spellings (CPython 3.11: str(int(text))).
            ("7 ", "7"),
            ("  -3  ", "-3"),
            ("1_000", "1000"),
            ("\t+0_7\n", "7"),
            (
                "\u{3000}-1_8446_7440_7370_9551_616",
                "-18446744073709551616",
            ),
        ] {
            let s = seed(written);
            assert_eq!(s.to_string(), canonical);
            assert_eq!(format!("{:?}", Some(s)), format!("Some({canonical})"));
        }
        assert_eq!(seed("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(seed("9223372036854775808").as_i64(), None);
        assert_eq!(Seed::from(-3), seed("-3"));
    }

    #[test]
    fn malformed_seeds_are_refused_with_the_reason() {
        for bad in [
            "", " ", "-", "+", "1.0", "1e3", "1__0", "_1", "1_", "+_1", "0x10", "--1", "+ 1",
            "abc", "\u{1c}1",
        ] {
            let err = bad.parse::<Seed>().expect_err(bad);
            assert!(
                matches!(err, SeedError::NotAnInteger { .. }),
                "{bad:?}: {err:?}"
            );
            assert!(err.to_string().contains("is not an integer"), "{err}");
        }
        for bad in ["٣", "１２", "-٤٢"] {
            let err = bad.parse::<Seed>().expect_err(bad);
            assert!(
                matches!(err, SeedError::NonAsciiDigit { .. }),
                "{bad:?}: {err:?}"
            );
        }
        let long = "9".repeat(MAX_SEED_DIGITS + 1);
        assert_eq!(
            long.parse::<Seed>(),
            Err(SeedError::TooLong {
                digits: MAX_SEED_DIGITS + 1
            })
        );
        // Leading zeros count, as in Python; underscores do not. The longest seed converts.
        assert_eq!(
            format!("0{}", "9".repeat(MAX_SEED_DIGITS)).parse::<Seed>(),
            Err(SeedError::TooLong {
                digits: MAX_SEED_DIGITS + 1
            })
        );
        let longest = vec!["9"; MAX_SEED_DIGITS].join("_");
        assert_eq!(seed(&longest).to_mt_key().len(), 447);
        let err = format!("x{}", "1".repeat(500)).parse::<Seed>().unwrap_err();
        assert!(err.to_string().len() < 200, "{err}");
    }

    #[test]
    fn seeds_round_trip_through_sql_values() {
        use rusqlite::types::Value;
        for text in [
            "0",
            "-42",
            "9223372036854775807",
            "9223372036854775808",
            "-1234567890123456789012345678901234567890",
        ] {
            let s = seed(text);
            let stored: Value = match s.to_sql().unwrap() {
                ToSqlOutput::Owned(v) => v,
                ToSqlOutput::Borrowed(v) => Value::try_from(v).unwrap(),
                other => panic!("{other:?}"),
            };
            // An i64 seed is stored as the INTEGER it always was; a larger one as a BLOB.
            match (&stored, s.as_i64()) {
                (Value::Integer(n), Some(m)) => assert_eq!(*n, m),
                (Value::Blob(b), None) => assert_eq!(b, text.as_bytes()),
                other => panic!("{text}: {other:?}"),
            }
            assert_eq!(Seed::column_result(ValueRef::from(&stored)).unwrap(), s);
        }
        // A corrupt store: a REAL or text that is not an integer is an error, not a seed.
        for bad in [
            ValueRef::Real(1.5),
            ValueRef::Text(b"x"),
            ValueRef::Blob(&[0xff]),
            ValueRef::Null,
        ] {
            assert!(Seed::column_result(bad).is_err(), "{bad:?}");
        }
    }
}
