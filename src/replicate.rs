//! A replicate index of any size (docs/decisions.md D23). The reference reads a replicate with
//! Python's `int()`, which has no 64-bit limit, and writes it into signatures and metadata.json
//! as that integer; so does cohortdb. A replicate that fits an `i64` — every replicate of every
//! earlier record — is an `i64` everywhere, exactly as before; a larger one is kept as its
//! canonical decimal text.
//!
//! It sits at the bottom of the crate because the build, the record and its hash, the files
//! on disk, the reports and `migrate` all carry it.

use std::cmp::Ordering;
use std::fmt;

use cohortdb_genid::{IntTextError, py_int, py_int_text};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// A replicate index: an integer as Python's `int()` reads it, of any size. The build only
/// makes members of replicate 1 and above ([`Replicate::is_index`]); the reference's id layer,
/// and so `gen_signature`, takes any integer.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Replicate(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Int(i64),
    /// The canonical decimal text (a `-` only when negative, no leading zeros) of an integer
    /// outside the `i64` range.
    Big(Box<str>),
}

impl Replicate {
    /// Reads `text` as Python's `int()` does: whitespace around, an optional sign, ASCII digits
    /// with single underscores between them, any size up to 4,300 digits (D22 refuses other
    /// digits).
    pub fn parse(text: &str) -> Result<Replicate, IntTextError> {
        if let Some(n) = py_int(text) {
            return Ok(Replicate::from(n));
        }
        py_int_text(text).map(|canonical| Replicate::from_canonical(canonical.into()))
    }

    /// From canonical decimal text.
    fn from_canonical(canonical: Box<str>) -> Replicate {
        match canonical.parse::<i64>() {
            Ok(n) => Replicate(Repr::Int(n)),
            Err(_) => Replicate(Repr::Big(canonical)),
        }
    }

    /// The replicate as an `i64`, when it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Int(n) => Some(*n),
            Repr::Big(_) => None,
        }
    }

    /// The canonical decimal text of a replicate beyond 64 bits (`None` for an `i64`).
    pub fn big_text(&self) -> Option<&str> {
        match &self.0 {
            Repr::Int(_) => None,
            Repr::Big(text) => Some(text),
        }
    }

    /// Whether it is a replicate index a build accepts: 1 or more.
    pub fn is_index(&self) -> bool {
        match &self.0 {
            Repr::Int(n) => *n >= 1,
            Repr::Big(text) => !text.starts_with('-'),
        }
    }

    /// The sign (-1, 0, 1) and, for a big one, its text, for ordering.
    fn sign(&self) -> i8 {
        match &self.0 {
            Repr::Int(n) => n.signum() as i8,
            Repr::Big(text) if text.starts_with('-') => -1,
            Repr::Big(_) => 1,
        }
    }
}

impl From<i64> for Replicate {
    fn from(n: i64) -> Self {
        Replicate(Repr::Int(n))
    }
}

/// Numeric order.
impl Ord for Replicate {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Repr::Int(a), Repr::Int(b)) => a.cmp(b),
            // A big one lies beyond every i64 on its side of zero.
            (Repr::Big(_), Repr::Int(_)) => self.sign().cmp(&0),
            (Repr::Int(_), Repr::Big(_)) => 0.cmp(&other.sign()),
            (Repr::Big(a), Repr::Big(b)) => {
                let magnitude = |t: &str| (t.trim_start_matches('-').len(), t.to_string());
                match (self.sign(), other.sign()) {
                    (1, 1) => magnitude(a).cmp(&magnitude(b)),
                    (-1, -1) => magnitude(b).cmp(&magnitude(a)),
                    (x, y) => x.cmp(&y),
                }
            }
        }
    }
}

impl PartialOrd for Replicate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Replicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(n) => write!(f, "{n}"),
            Repr::Big(text) => f.write_str(text),
        }
    }
}

/// The bare number, as an `i64` printed in messages before replicates had any size.
impl fmt::Debug for Replicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// In `metadata.json`, the number as Python writes it: its decimal digits, of any size.
impl From<&Replicate> for crate::textfmt::PyJson {
    fn from(replicate: &Replicate) -> Self {
        match &replicate.0 {
            Repr::Int(n) => crate::textfmt::PyJson::Int(*n),
            Repr::Big(text) => crate::textfmt::PyJson::BigInt(text.to_string()),
        }
    }
}

/// In JSON reports a replicate is a number, of any size: its decimal digits.
impl serde::Serialize for Replicate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Int(n) => serializer.serialize_i64(*n),
            Repr::Big(text) => serde_json::value::RawValue::from_string(text.to_string())
                .map_err(serde::ser::Error::custom)?
                .serialize(serializer),
        }
    }
}

/// In SQL (`cohort_members.replicate`, the build's scratch tables): a replicate that fits an
/// `i64` is an INTEGER, exactly as before; a larger one is its canonical decimal text as a BLOB,
/// because SQLite's integer affinity would turn such text into a lossy REAL (docs/storage.md).
impl ToSql for Replicate {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match &self.0 {
            Repr::Int(n) => ToSqlOutput::from(*n),
            Repr::Big(text) => ToSqlOutput::Borrowed(ValueRef::Blob(text.as_bytes())),
        })
    }
}

/// The SQL value [`ToSql`] writes.
impl From<Replicate> for rusqlite::types::Value {
    fn from(replicate: Replicate) -> Self {
        match replicate.0 {
            Repr::Int(n) => rusqlite::types::Value::Integer(n),
            Repr::Big(text) => rusqlite::types::Value::Blob(text.into_string().into_bytes()),
        }
    }
}

/// Why a stored value is not a replicate.
#[derive(Debug)]
struct NotStoredReplicate(String);

impl fmt::Display for NotStoredReplicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a replicate as cohortdb stores one (an INTEGER, or the canonical decimal \
             digits of an integer beyond 64 bits)",
            self.0
        )
    }
}

impl std::error::Error for NotStoredReplicate {}

/// Reads exactly what [`ToSql`] writes. The store is untrusted: text or a BLOB that is not the
/// canonical form of an integer beyond 64 bits (`007`, `5`, `1.0`) is an error, so each
/// replicate has one stored form.
impl FromSql for Replicate {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Integer(n) => Ok(Replicate::from(n)),
            ValueRef::Blob(bytes) | ValueRef::Text(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                match py_int_text(&text) {
                    Ok(canonical) if canonical == text && canonical.parse::<i64>().is_err() => {
                        Ok(Replicate(Repr::Big(canonical.into())))
                    }
                    _ => Err(FromSqlError::Other(Box::new(NotStoredReplicate(
                        text.into_owned(),
                    )))),
                }
            }
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::types::Value;

    fn rep(text: &str) -> Replicate {
        Replicate::parse(text).expect("a test replicate")
    }

    #[test]
    fn replicates_are_read_as_python_s_int() {
        assert_eq!(rep(" 3 "), Replicate::from(3));
        assert_eq!(rep("1_0"), Replicate::from(10));
        assert_eq!(rep("+007"), Replicate::from(7));
        assert_eq!(rep("9223372036854775807").as_i64(), Some(i64::MAX));
        let big = rep(" 99_999_999_999_999_999_999 ");
        assert_eq!(big.as_i64(), None);
        assert_eq!(big.to_string(), "99999999999999999999");
        assert_eq!(format!("{:?}", Some(&big)), "Some(99999999999999999999)");
        assert_eq!(big, rep("099999999999999999999"));
        assert!(big.is_index());
        assert!(!rep("-99999999999999999999").is_index());
        assert!(!rep("0").is_index() && rep("1").is_index());
        for bad in ["1.0", "", "1__0", "x"] {
            assert_eq!(
                Replicate::parse(bad),
                Err(IntTextError::NotAnInteger),
                "{bad}"
            );
        }
        // Small enough for the compact member rows of a stored cohort.
        assert!(std::mem::size_of::<Replicate>() <= 16);
    }

    #[test]
    fn replicates_order_by_value() {
        let mut values: Vec<Replicate> = [
            "99999999999999999999",
            "-1",
            "100000000000000000000",
            "-99999999999999999999",
            "9223372036854775807",
            "0",
            "-100000000000000000000",
            "18446744073709551616",
        ]
        .into_iter()
        .map(rep)
        .collect();
        values.sort();
        let shown: Vec<String> = values.iter().map(Replicate::to_string).collect();
        assert_eq!(
            shown,
            [
                "-100000000000000000000",
                "-99999999999999999999",
                "-1",
                "0",
                "9223372036854775807",
                "18446744073709551616",
                "99999999999999999999",
                "100000000000000000000",
            ]
        );
    }

    #[test]
    fn replicates_round_trip_through_sql_values() {
        for text in [
            "1",
            "9223372036854775807",
            "9223372036854775808",
            "-18446744073709551616",
        ] {
            let r = rep(text);
            let stored: Value = match r.to_sql().expect("to_sql") {
                ToSqlOutput::Owned(v) => v,
                ToSqlOutput::Borrowed(v) => Value::try_from(v).expect("a replicate is UTF-8"),
                other => panic!("{other:?}"),
            };
            match (&stored, r.as_i64()) {
                (Value::Integer(n), Some(m)) => assert_eq!(*n, m),
                (Value::Blob(b), None) => assert_eq!(b, text.as_bytes()),
                other => panic!("{text}: {other:?}"),
            }
            assert_eq!(
                Replicate::column_result(ValueRef::from(&stored)).expect(text),
                r
            );
        }
        // Only the one stored form of each replicate is read.
        for bad in [
            ValueRef::Blob(b"5"),
            ValueRef::Blob(b"099999999999999999999"),
            ValueRef::Text(b"1.0"),
            ValueRef::Blob(&[0xff]),
            ValueRef::Real(1.0),
            ValueRef::Null,
        ] {
            assert!(Replicate::column_result(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn json_reports_write_the_number() {
        assert_eq!(serde_json::to_string(&rep("7")).expect("json"), "7");
        assert_eq!(
            serde_json::to_string(&vec![rep("99999999999999999999")]).expect("json"),
            "[99999999999999999999]"
        );
    }

    proptest::proptest! {
        // Any integer's text reads back as that integer, orders as integers do, and survives
        // SQL storage.
        #[test]
        fn replicates_of_any_size_are_their_number(a: i128, b: i128) {
            let (ra, rb) = (rep(&a.to_string()), rep(&b.to_string()));
            proptest::prop_assert_eq!(ra.to_string(), a.to_string());
            proptest::prop_assert_eq!(ra.as_i64(), i64::try_from(a).ok());
            proptest::prop_assert_eq!(ra.cmp(&rb), a.cmp(&b));
            proptest::prop_assert_eq!(ra.is_index(), a >= 1);
            let stored = Value::from(ra.clone());
            proptest::prop_assert_eq!(Replicate::column_result(ValueRef::from(&stored)).ok(), Some(ra));
        }
    }
}
