//! `query` on a team store runs on the server (docs/postgres.md, "query"): one statement, in a
//! `READ ONLY` transaction with `SET LOCAL statement_timeout` (from `--timeout`), over the same
//! views as on SQLite, `--param` values bound (never spliced), rows streamed through a portal a
//! batch at a time so memory stays bounded whatever the row count.
//!
//! Rows arrive as typed values (`rusqlite::types::Value`: null, integer, real, text, bytes) with
//! the column names, so one output formatter serves both engines. PostgreSQL types map as:
//! integers, `oid` and `bool` (0/1) → integer; `float4`/`float8` → real; `numeric` → integer
//! when integral and within 64 bits, else its decimal text; text types, `json`, `jsonb`,
//! `uuid`, `date`, `timestamp`, `timestamptz` → text; `bytea` → bytes. Another type is refused
//! naming the column, with the way out (a cast to text).
//!
//! The gen_id SQL functions (`gen_id()`, `gen_signature()`, `gen_signature_digest()`) are not on
//! the server: BLAKE2b is not in core PostgreSQL. The stored `gen_id` columns (`membership`,
//! the registry) are the way there; the functions live in SQLite (every connection cohortdb
//! opens, the loadable extension) and Python.

use std::error::Error as StdError;
use std::time::Duration;

use postgres::types::{FromSql, Kind, ToSql, Type};
use rusqlite::types::Value;

use super::{Pg, TeamStore, team_error};
use crate::error::{Error, ReadOnlyError, Result, TeamErrorKind, UsageError};
use crate::query::ColumnType;

/// How many rows one portal fetch brings.
const BATCH: i32 = 1000;

/// Receives a query's result: the column names once, then each row.
pub trait RowSink {
    /// The columns' types, before [`columns`](RowSink::columns) (see [`column_type`]).
    fn column_types(&mut self, types: &[ColumnType]) -> Result<()> {
        let _ = types;
        Ok(())
    }
    /// The column names, before any row.
    fn columns(&mut self, names: &[String]) -> Result<()>;
    /// One row, its values in column order. `Ok(false)` stops the statement (nobody reads any
    /// more) without an error.
    fn row(&mut self, values: &[Value]) -> Result<bool>;
}

/// Runs one read-only statement on the server; returns how many rows it gave. The first batch
/// of rows is fetched before the sink sees the columns, so a statement that fails at once
/// reports only its error.
pub fn query(
    store: &mut TeamStore,
    sql: &str,
    params: &[(String, String)],
    timeout: Option<Duration>,
    sink: &mut dyn RowSink,
) -> Result<u64> {
    let shown = store.shown.clone();
    let (text, names) = number_parameters(sql.trim());
    if text.trim().is_empty() || only_comments(&text) {
        return Err(ReadOnlyError::Empty.into());
    }
    let positional = |n: &str| crate::query::positional_number(n).is_some();
    if names.iter().any(|n| positional(n)) && !names.iter().all(|n| positional(n)) {
        return Err(team_error(
            &shown,
            TeamErrorKind::bad_value(
                "query",
                "a statement on a team store takes named (:name) or positional (?, ?N) parameters, not both",
            ),
        ));
    }
    let mut values: Vec<Option<&str>> = vec![None; names.len()];
    for (name, value) in params {
        let bare = match crate::query::positional_number(name) {
            Some(n) => n.to_string(),
            None => name.trim_start_matches([':', '@', '$']).to_string(),
        };
        let Some(i) = names.iter().position(|n| *n == bare) else {
            return Err(UsageError::NoSuchParameter { name: name.clone() }.into());
        };
        values[i] = Some(value);
    }
    let missing: Vec<String> = names
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| match positional(n) {
            true => format!("?{n}"),
            false => format!(":{n}"),
        })
        .collect();
    if !missing.is_empty() {
        return Err(UsageError::MissingParameters { missing }.into());
    }
    let mut tx = store
        .client
        .build_transaction()
        .read_only(true)
        .start()
        .pg(&shown, "begin query")?;
    let millis = timeout.map_or(0, |t| t.as_millis().clamp(1, i64::MAX as u128) as i64);
    // `SET` takes no parameters; the number is formatted here (an integer, nothing else).
    tx.batch_execute(&format!("set local statement_timeout = {millis}"))
        .pg(&shown, "set statement_timeout")?;
    let stmt = tx
        .prepare(&text)
        .map_err(|e| statement_error(&shown, e, &text, timeout))?;
    let bound: Vec<TextParam<'_>> = stmt
        .params()
        .iter()
        .zip(&values)
        .map(|(ty, v)| TextParam {
            text: v.unwrap_or_default(),
            ty: ty.clone(),
        })
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
    let columns: Vec<String> = stmt
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let types: Vec<Type> = stmt.columns().iter().map(|c| c.type_().clone()).collect();
    for (name, ty) in columns.iter().zip(&types) {
        if !readable(ty) {
            return Err(team_error(
                &shown,
                TeamErrorKind::bad_value(
                    "query",
                    &format!(
                        "column {name:?} has type {}, which cohortdb does not read; cast it (`{name}::text`)",
                        ty.name()
                    ),
                ),
            ));
        }
    }
    let portal = tx
        .bind(&stmt, &refs)
        .map_err(|e| statement_error(&shown, e, &text, timeout))?;
    let mut count = 0u64;
    let mut started = false;
    loop {
        let rows = tx
            .query_portal(&portal, BATCH)
            .map_err(|e| statement_error(&shown, e, &text, timeout))?;
        if !started {
            let declared: Vec<ColumnType> = types.iter().map(column_type).collect();
            sink.column_types(&declared)?;
            sink.columns(&columns)?;
            started = true;
        }
        let n = rows.len();
        for row in &rows {
            let mut values = Vec::with_capacity(types.len());
            for i in 0..types.len() {
                let cell: Cell = row
                    .try_get(i)
                    .map_err(|e| statement_error(&shown, e, &text, timeout))?;
                values.push(cell.0);
            }
            if !sink.row(&values)? {
                // The read-only transaction rolls back as it drops.
                return Ok(count);
            }
            count += 1;
        }
        if n < BATCH as usize {
            break;
        }
    }
    drop(portal);
    tx.commit().pg(&shown, "end query")?;
    Ok(count)
}

/// Maps the server's refusals to the errors `query` gives on SQLite.
fn statement_error(shown: &str, e: postgres::Error, sql: &str, timeout: Option<Duration>) -> Error {
    use postgres::error::SqlState;
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
            return ReadOnlyError::Writes {
                statement: first_words(sql),
            }
            .into();
        }
        if *code == SqlState::SYNTAX_ERROR && db.message().contains("multiple commands") {
            return ReadOnlyError::MultipleStatements.into();
        }
        if *code == SqlState::QUERY_CANCELED {
            return UsageError::QueryStopped { timeout }.into();
        }
    }
    team_error(
        shown,
        TeamErrorKind::Query {
            query: "query",
            source: e,
        },
    )
}

fn first_words(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().take(4).collect();
    let mut text = words.join(" ");
    if sql.split_whitespace().count() > 4 {
        text.push_str(" …");
    }
    text
}

fn only_comments(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, t)| t).trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, t)| t).trim_start();
        } else {
            return false;
        }
    }
}

/// Rewrites the named parameters `:name`, `@name` and `$name` and the positional ones `?N` and
/// `?` (SQLite's forms, which `--param` names; a positional one is named by its number) to
/// PostgreSQL's `$1`, `$2`, … — outside string literals, quoted identifiers, comments and
/// dollar-quoted strings, and not in a `::` cast. Returns the text and the names in number
/// order (one number per distinct name).
fn number_parameters(sql: &str) -> (String, Vec<String>) {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    let is_start = |b: u8| b.is_ascii_alphabetic() || b == b'_';
    let is_part = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        let b = bytes[i];
        let rest = &sql[i..];
        let skip_to = |end: Option<usize>, from: usize| end.map_or(sql.len(), |e| i + from + e);
        let end = if rest.starts_with("--") {
            skip_to(rest.find('\n'), 0)
        } else if let Some(body) = rest.strip_prefix("/*") {
            skip_to(body.find("*/"), 4)
        } else if b == b'\'' || b == b'"' {
            // A doubled quote inside is part of the literal: scan pairwise.
            let mut j = i + 1;
            while j < bytes.len() {
                if bytes[j] == b {
                    if bytes.get(j + 1) == Some(&b) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            (j + 1).min(sql.len())
        } else if b == b'$' && bytes.get(i + 1).is_some_and(|c| *c == b'$' || is_start(*c)) {
            // `$tag$ … $tag$` (or `$$ … $$`) is a dollar-quoted string; `$name` not followed by
            // `$` is a parameter.
            let tag_end = rest[1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            match tag_end {
                Some(t) if rest.as_bytes()[1 + t] == b'$' => {
                    let tag = &rest[..t + 2];
                    skip_to(rest[tag.len()..].find(tag), tag.len() + tag.len())
                }
                _ => i,
            }
        } else {
            i
        };
        if end > i {
            out.push_str(&sql[i..end]);
            i = end;
            continue;
        }
        if b == b'?' {
            // Positional: `?N` is number N, a bare `?` one above the largest number before it
            // (SQLite's numbering); both are named by their number.
            let mut j = i + 1;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            let number = match crate::query::positional_number(&sql[i..j]) {
                Some(n) => n,
                None => {
                    let largest = names
                        .iter()
                        .filter_map(|n| crate::query::positional_number(n))
                        .max()
                        .unwrap_or(0);
                    j = i + 1;
                    largest + 1
                }
            };
            let name = number.to_string();
            let n = match names.iter().position(|x| *x == name) {
                Some(p) => p + 1,
                None => {
                    names.push(name);
                    names.len()
                }
            };
            out.push_str(&format!("${n}"));
            i = j;
            continue;
        }
        let prefix = matches!(b, b':' | b'@' | b'$');
        let cast =
            b == b':' && (bytes.get(i + 1) == Some(&b':') || (i > 0 && bytes[i - 1] == b':'));
        if prefix && !cast && bytes.get(i + 1).is_some_and(|c| is_start(*c)) {
            let mut j = i + 1;
            while j < bytes.len() && is_part(bytes[j]) {
                j += 1;
            }
            let name = &sql[i + 1..j];
            let n = match names.iter().position(|x| x == name) {
                Some(p) => p + 1,
                None => {
                    names.push(name.to_string());
                    names.len()
                }
            };
            out.push_str(&format!("${n}"));
            i = j;
            continue;
        }
        let ch = rest.chars().next().unwrap_or_default();
        out.push(ch);
        i += ch.len_utf8();
    }
    (out, names)
}

/// A `--param` value, sent as the type the server inferred for its place: an integer or real
/// type parses the text (an error names the value), text types take it as is.
#[derive(Debug)]
struct TextParam<'a> {
    text: &'a str,
    ty: Type,
}

impl ToSql for TextParam<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn StdError + Sync + Send>> {
        let bad = || {
            format!(
                "--param value {:?} is not a {}",
                crate::textfmt::capped(self.text),
                ty.name()
            )
        };
        match *ty {
            Type::INT8 => self.text.parse::<i64>().map_err(|_| bad())?.to_sql(ty, out),
            Type::INT4 => self.text.parse::<i32>().map_err(|_| bad())?.to_sql(ty, out),
            Type::INT2 => self.text.parse::<i16>().map_err(|_| bad())?.to_sql(ty, out),
            Type::FLOAT8 => self.text.parse::<f64>().map_err(|_| bad())?.to_sql(ty, out),
            Type::FLOAT4 => self.text.parse::<f32>().map_err(|_| bad())?.to_sql(ty, out),
            Type::BOOL => match self.text {
                "1" | "true" | "t" => true.to_sql(ty, out),
                "0" | "false" | "f" => false.to_sql(ty, out),
                _ => Err(bad().into()),
            },
            _ => self.text.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8 | Type::INT4 | Type::INT2 | Type::FLOAT8 | Type::FLOAT4 | Type::BOOL
        ) || <&str as ToSql>::accepts(ty)
    }

    fn to_sql_checked(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn StdError + Sync + Send>> {
        if !Self::accepts(ty) {
            return Err(format!(
                "--param value {:?} is used where the server expects a {}; cast it in the SQL (`:name::{}`)",
                crate::textfmt::capped(self.text),
                ty.name(),
                ty.name()
            )
            .into());
        }
        let _ = &self.ty;
        self.to_sql(ty, out)
    }
}

/// A server type as the type every value of its column has once read (for Parquet's schema,
/// docs/decisions.md D31): integers, `oid` and `bool` are integers, `float4`/`float8` reals,
/// `bytea` bytes; `numeric` (an integer or decimal text, value by value) is left to the values;
/// every other readable type is text.
pub fn column_type(ty: &Type) -> ColumnType {
    if let Kind::Domain(inner) = ty.kind() {
        return column_type(inner);
    }
    match *ty {
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID | Type::BOOL => ColumnType::Integer,
        Type::FLOAT4 | Type::FLOAT8 => ColumnType::Real,
        Type::NUMERIC => ColumnType::Unknown,
        Type::BYTEA => ColumnType::Blob,
        _ => ColumnType::Text,
    }
}

/// Whether a result column's type is one [`Cell`] reads.
fn readable(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::INT2
            | Type::INT4
            | Type::INT8
            | Type::OID
            | Type::BOOL
            | Type::FLOAT4
            | Type::FLOAT8
            | Type::NUMERIC
            | Type::TEXT
            | Type::VARCHAR
            | Type::BPCHAR
            | Type::NAME
            | Type::UNKNOWN
            | Type::JSON
            | Type::JSONB
            | Type::UUID
            | Type::DATE
            | Type::TIMESTAMP
            | Type::TIMESTAMPTZ
            | Type::BYTEA
    ) || matches!(ty.kind(), Kind::Domain(inner) if readable(inner))
}

/// One result value, decoded from PostgreSQL's binary format.
struct Cell(Value);

impl<'a> FromSql<'a> for Cell {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn StdError + Sync + Send>> {
        if let Kind::Domain(inner) = ty.kind() {
            return Cell::from_sql(inner, raw);
        }
        let v = match *ty {
            Type::INT2 => Value::Integer(i64::from(i16::from_sql(ty, raw)?)),
            Type::INT4 => Value::Integer(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::OID => Value::Integer(i64::from(u32::from_sql(ty, raw)?)),
            Type::BOOL => Value::Integer(i64::from(bool::from_sql(ty, raw)?)),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::JSONB => Value::Text(String::from_utf8(
                raw.get(1..).unwrap_or_default().to_vec(),
            )?),
            Type::UUID => Value::Text(uuid_text(raw)?),
            Type::DATE => Value::Text(date_text(i64::from(i32::from_sql(ty, raw)?))),
            Type::TIMESTAMP => Value::Text(timestamp_text(i64::from_sql(ty, raw)?, "")),
            Type::TIMESTAMPTZ => Value::Text(timestamp_text(i64::from_sql(ty, raw)?, "+00")),
            _ => Value::Text(String::from_utf8(raw.to_vec())?),
        };
        Ok(Cell(v))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(Cell(Value::Null))
    }

    fn accepts(ty: &Type) -> bool {
        readable(ty)
    }
}

/// `numeric`'s binary form (digit count, weight, sign, scale, base-10000 digits) as an integer
/// when integral and within 64 bits, else as its decimal text.
fn numeric(raw: &[u8]) -> std::result::Result<Value, Box<dyn StdError + Sync + Send>> {
    let word = |i: usize| -> std::result::Result<i32, Box<dyn StdError + Sync + Send>> {
        let b = raw.get(2 * i..2 * i + 2).ok_or("a short numeric value")?;
        Ok(i32::from(i16::from_be_bytes([b[0], b[1]])))
    };
    let (ndigits, weight, sign, scale) = (word(0)?, word(1)?, word(2)? as u16, word(3)?);
    if sign == 0xC000 {
        return Ok(Value::Text("NaN".into()));
    }
    let digits: Vec<i32> = (0..ndigits.max(0) as usize)
        .map(|i| word(4 + i))
        .collect::<std::result::Result<_, _>>()?;
    let mut int_part = String::new();
    for w in 0..=weight.max(-1) {
        let d = digits.get(w as usize).copied().unwrap_or(0);
        if int_part.is_empty() {
            if d != 0 {
                int_part = d.to_string();
            }
        } else {
            int_part.push_str(&format!("{d:04}"));
        }
    }
    if int_part.is_empty() {
        int_part.push('0');
    }
    let mut frac = String::new();
    for k in 0..(scale.max(0) as usize).div_ceil(4) {
        let idx = weight + 1 + k as i32;
        let d = if idx >= 0 {
            digits.get(idx as usize).copied().unwrap_or(0)
        } else {
            0
        };
        frac.push_str(&format!("{d:04}"));
    }
    frac.truncate(scale.max(0) as usize);
    let negative = sign == 0x4000;
    let text = format!(
        "{}{int_part}{}{frac}",
        if negative { "-" } else { "" },
        if frac.is_empty() { "" } else { "." }
    );
    if frac.chars().all(|c| c == '0')
        && let Ok(n) = format!("{}{int_part}", if negative { "-" } else { "" }).parse::<i64>()
    {
        return Ok(Value::Integer(n));
    }
    Ok(Value::Text(text))
}

fn uuid_text(raw: &[u8]) -> std::result::Result<String, Box<dyn StdError + Sync + Send>> {
    if raw.len() != 16 {
        return Err("a uuid of another length".into());
    }
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// A day count from 2000-01-01 as `YYYY-MM-DD` (the proleptic Gregorian calendar).
fn date_text(days: i64) -> String {
    // Days from 1970-01-01, then Howard Hinnant's civil-from-days.
    let z = days + 10_957 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Microseconds from 2000-01-01 00:00 as `YYYY-MM-DD HH:MM:SS[.ffffff]` (PostgreSQL's text
/// form; `suffix` is `+00` for `timestamptz`, which the server keeps in UTC).
fn timestamp_text(micros: i64, suffix: &str) -> String {
    let days = micros.div_euclid(86_400_000_000);
    let rest = micros.rem_euclid(86_400_000_000);
    let (secs, frac) = (rest / 1_000_000, rest % 1_000_000);
    let mut text = format!(
        "{} {:02}:{:02}:{:02}",
        date_text(days),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac > 0 {
        let f = format!("{frac:06}");
        text.push('.');
        text.push_str(f.trim_end_matches('0'));
    }
    text.push_str(suffix);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_parameters_become_numbers_outside_literals_comments_and_casts() {
        let (sql, names) = number_parameters(
            "select ':no', \"@no\", x::text, $$ $a $$, $t$ :no $t$ -- :no\n from t where a = :a and b = @b or c = $a /* :no */ and d = :b::int",
        );
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            sql,
            "select ':no', \"@no\", x::text, $$ $a $$, $t$ :no $t$ -- :no\n from t where a = $1 and b = $2 or c = $1 /* :no */ and d = $2::int"
        );
        let (sql, names) = number_parameters("select 'it''s :x', :x");
        assert_eq!((sql.as_str(), names.len()), ("select 'it''s :x', $1", 1));
        let (sql, names) = number_parameters("select ?, '?', ?3, ?, ?1 -- ?");
        assert_eq!(sql, "select $1, '?', $2, $3, $1 -- ?");
        assert_eq!(names, ["1", "3", "4"]);
    }

    #[test]
    fn numerics_dates_and_timestamps_decode() {
        // 12345.678 → ndigits 3, weight 1, sign +, scale 3: 1 2345 6780.
        let mut raw = Vec::new();
        for w in [3i16, 1, 0, 3, 1, 2345, 6780] {
            raw.extend_from_slice(&w.to_be_bytes());
        }
        assert_eq!(numeric(&raw).unwrap(), Value::Text("12345.678".into()));
        let mut raw = Vec::new();
        for w in [2i16, 1, 0x4000, 0, 12, 3456] {
            raw.extend_from_slice(&w.to_be_bytes());
        }
        assert_eq!(numeric(&raw).unwrap(), Value::Integer(-123_456));
        let mut raw = Vec::new();
        for w in [0i16, 0, 0, 0] {
            raw.extend_from_slice(&w.to_be_bytes());
        }
        assert_eq!(numeric(&raw).unwrap(), Value::Integer(0));
        assert_eq!(date_text(0), "2000-01-01");
        assert_eq!(date_text(-1), "1999-12-31");
        assert_eq!(date_text(9_835), "2026-12-05");
        assert_eq!(timestamp_text(1_500_000, "+00"), "2000-01-01 00:00:01.5+00");
    }
}
