//! Python's `random.Random(seed).shuffle(list)`, exactly (docs/reference.md §2.7.6): MT19937
//! seeded by `init_by_array` over the 32-bit words of `|seed|`, `getrandbits`, `randbelow` by
//! rejection, and the Fisher–Yates walk from the end. A seed is any decimal integer, of any size
//! (docs/decisions.md D23): [`Seed`].

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

const N: usize = 624;
const M: usize = 397;

/// The Mersenne Twister MT19937 as CPython's `_random` module runs it.
pub struct Mt19937 {
    state: [u32; N],
    index: usize,
}

impl Mt19937 {
    fn init_genrand(seed: u32) -> Self {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            state[i] = 1_812_433_253u32
                .wrapping_mul(state[i - 1] ^ (state[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 { state, index: N }
    }

    fn init_by_array(key: &[u32]) -> Self {
        let mut mt = Mt19937::init_genrand(19_650_218);
        let s = &mut mt.state;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            s[i] = (s[i] ^ (s[i - 1] ^ (s[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                s[0] = s[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            s[i] = (s[i] ^ (s[i - 1] ^ (s[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                s[0] = s[N - 1];
                i = 1;
            }
        }
        s[0] = 0x8000_0000;
        mt
    }

    /// `random.seed(seed)` for an integer seed: `init_by_array` over [`Seed::to_mt_key`].
    pub fn from_python_seed(seed: &Seed) -> Self {
        Mt19937::init_by_array(&seed.to_mt_key())
    }

    fn twist(&mut self) {
        for i in 0..N {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % N] & 0x7fff_ffff);
            let mut v = self.state[(i + M) % N] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.state[i] = v;
        }
        self.index = 0;
    }

    /// The next tempered 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `getrandbits(k)` for 1 ≤ k ≤ 32.
    fn getrandbits(&mut self, k: u32) -> u32 {
        self.next_u32() >> (32 - k)
    }

    /// `_randbelow(n)` for 1 ≤ n < 2³²: draw `bit_length(n)` bits until below `n`.
    fn randbelow(&mut self, n: u32) -> u32 {
        let k = 32 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }
}

/// `random.Random(seed).shuffle(list(range(n)))`: position k of the result holds the product
/// index of the k-th output row. `n` must be below 2³².
pub fn permutation(seed: &Seed, n: u32) -> Vec<u32> {
    let mut items: Vec<u32> = (0..n).collect();
    let mut rng = Mt19937::from_python_seed(seed);
    for i in (1..items.len()).rev() {
        let j = rng.randbelow(i as u32 + 1) as usize;
        items.swap(i, j);
    }
    items
}

/// The most digits a seed may have. CPython's `int()` refuses longer decimal text
/// (`sys.int_info.default_max_str_digits`), so the reference CLI could not read such a seed
/// either; the bound also keeps the decimal-to-binary conversion cheap (docs/decisions.md D23).
pub const MAX_SEED_DIGITS: usize = 4300;

/// A shuffle seed: any decimal integer up to [`MAX_SEED_DIGITS`] digits, negative included
/// (docs/decisions.md D23). Kept as canonical decimal text: an optional `-`, no leading zeros,
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
    /// Not an optional sign followed by decimal digits.
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
    /// More than [`MAX_SEED_DIGITS`] significant digits.
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
                "{text:?} is not an integer (a seed is an optional sign and the digits 0-9, of any size)"
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

    /// An optional `+` or `-`, then ASCII digits (leading zeros allowed, as in Python).
    fn from_str(s: &str) -> Result<Self, SeedError> {
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            let text = shortened(s);
            let numeric = !digits.is_empty() && digits.chars().all(|c| c.is_numeric());
            return Err(if numeric {
                SeedError::NonAsciiDigit { text }
            } else {
                SeedError::NotAnInteger { text }
            });
        }
        let significant = digits.trim_start_matches('0');
        if significant.len() > MAX_SEED_DIGITS {
            return Err(SeedError::TooLong {
                digits: significant.len(),
            });
        }
        let text = match (significant.is_empty(), negative) {
            (true, _) => "0".to_string(),
            (false, true) => format!("-{significant}"),
            (false, false) => significant.to_string(),
        };
        Ok(Seed { text })
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

    // Every vector of docs/reference.md §2.7.6.
    #[test]
    fn reference_shuffle_vectors() {
        let cases: &[(i64, u32, &[u32])] = &[
            (123, 3, &[2, 1, 0]),
            (456, 3, &[0, 1, 2]),
            (0, 5, &[2, 1, 0, 4, 3]),
            (1, 4, &[3, 0, 2, 1]),
            (42, 10, &[7, 3, 2, 8, 5, 6, 9, 4, 0, 1]),
            (-42, 10, &[7, 3, 2, 8, 5, 6, 9, 4, 0, 1]),
            (17, 10, &[7, 3, 0, 5, 1, 9, 2, 4, 6, 8]),
            (17, 12, &[10, 3, 0, 2, 7, 11, 1, 9, 5, 4, 6, 8]),
            (7, 12, &[7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5]),
            (123, 8, &[1, 4, 5, 6, 3, 7, 2, 0]),
            (4_294_967_297, 5, &[2, 4, 0, 3, 1]),
        ];
        for (n_seed, n, want) in cases {
            assert_eq!(
                permutation(&Seed::from(*n_seed), *n),
                *want,
                "seed {n_seed}, n {n}"
            );
        }
    }

    // Seeds at and beyond ±2⁶³ and ±2⁶⁴ (docs/decisions.md D23). Each expected order is
    // CPython 3.11's `r = random.Random(seed); l = list(range(12)); r.shuffle(l)`.
    #[test]
    fn seeds_of_any_size_shuffle_as_python_does() {
        let cases: &[(&str, [u32; 12])] = &[
            (
                "9223372036854775807",
                [11, 1, 6, 9, 4, 3, 0, 8, 7, 2, 10, 5],
            ),
            (
                "9223372036854775808",
                [11, 0, 7, 5, 4, 10, 2, 1, 9, 3, 6, 8],
            ),
            (
                "-9223372036854775808",
                [11, 0, 7, 5, 4, 10, 2, 1, 9, 3, 6, 8],
            ),
            (
                "-9223372036854775809",
                [0, 4, 5, 6, 8, 3, 9, 1, 7, 10, 2, 11],
            ),
            (
                "18446744073709551615",
                [1, 8, 6, 9, 2, 11, 4, 7, 10, 5, 3, 0],
            ),
            (
                "18446744073709551616",
                [8, 10, 9, 3, 0, 6, 4, 2, 7, 1, 5, 11],
            ),
            (
                "-18446744073709551616",
                [8, 10, 9, 3, 0, 6, 4, 2, 7, 1, 5, 11],
            ),
            (
                "18446744073709551617",
                [11, 5, 3, 10, 9, 8, 2, 7, 0, 4, 6, 1],
            ),
            (
                "79228162514264337593543950341",
                [6, 8, 4, 5, 0, 10, 3, 7, 9, 11, 2, 1],
            ),
            (
                "1234567890123456789012345678901234567890",
                [11, 9, 0, 7, 5, 2, 8, 10, 4, 3, 6, 1],
            ),
            (
                "-1234567890123456789012345678901234567890",
                [11, 9, 0, 7, 5, 2, 8, 10, 4, 3, 6, 1],
            ),
            ("0", [1, 9, 8, 5, 10, 2, 3, 7, 4, 0, 11, 6]),
            ("-0", [1, 9, 8, 5, 10, 2, 3, 7, 4, 0, 11, 6]),
            ("-1", [7, 11, 0, 8, 5, 6, 3, 10, 4, 1, 9, 2]),
            ("-7", [7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5]),
            ("+0007", [7, 11, 3, 10, 8, 4, 9, 1, 0, 6, 2, 5]),
        ];
        for (text, want) in cases {
            assert_eq!(permutation(&seed(text), 12), want, "seed {text}");
        }
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
            "", "-", "+", "1.0", "1e3", " 1", "1_000", "0x10", "--1", "abc",
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
        // Leading zeros do not count; the longest accepted seed converts.
        let longest = format!("000{}", "9".repeat(MAX_SEED_DIGITS));
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

    #[test]
    fn first_raw_outputs() {
        let mut rng = Mt19937::from_python_seed(&Seed::from(42));
        assert_eq!(
            [rng.next_u32(), rng.next_u32(), rng.next_u32()],
            [2_746_317_213, 478_163_327, 107_420_369]
        );
        let mut rng = Mt19937::from_python_seed(&Seed::from(0));
        assert_eq!(
            [rng.next_u32(), rng.next_u32(), rng.next_u32()],
            [3_626_764_237, 1_654_615_998, 3_255_389_356]
        );
    }

    #[test]
    fn degenerate_sizes() {
        assert!(permutation(&Seed::from(5), 0).is_empty());
        assert_eq!(permutation(&Seed::from(5), 1), [0]);
    }
}
