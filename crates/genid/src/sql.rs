//! The SQL functions, over SQLite values (docs/reference.md §3.9):
//!
//! * `gen_signature(part, …, replicate)`: the canonical signature string — each text part
//!   trimmed (Python whitespace) and lowercased, an integer part in decimal, joined with `|`,
//!   then the integer replicate (an integer, or text that Python's `int()` reads, of any size;
//!   also the BLOB of decimal digits cohortdb stores for a replicate beyond 64 bits). An empty
//!   part is an error.
//! * `gen_id(stage, signature[, collision_index])`: BLAKE2b-80 → base 36 with the stage
//!   prefix, and `-N` for a collision index N > 0.
//! * `gen_signature_digest(signature)`: the 16-byte BLAKE3 digest cohortdb's registry keeps.
//!
//! [`gen_signature`], [`gen_id`] and [`gen_signature_digest`] take the arguments as SQLite
//! values, so the rules are the same wherever they are called from: [`register`] adds them to a
//! rusqlite connection (the library's store, the loadable extension), and the Python package
//! converts Python values to [`ValueRef`]s and calls them directly.
//!
//! All three are deterministic, so SQLite may use them in indexes and factor calls out of loops.

use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;

use crate::{SignatureWriter, Stage};

/// Why a function call was refused: the message SQLite (or Python) reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError(pub String);

impl std::fmt::Display for FunctionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FunctionError {}

fn refuse<T>(message: String) -> Result<T, FunctionError> {
    Err(FunctionError(message))
}

/// How many characters of a refused argument a message echoes.
const ECHO_CHARS: usize = 200;

/// A refused text argument as a message shows it: quoted with escapes visible, cut after
/// [`ECHO_CHARS`] characters with its whole length (a 5 MB argument must not become a 5 MB
/// message, in SQLite, Python or the CLI alike).
fn echo(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(ECHO_CHARS) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}… ({} bytes)", &text[..end], bytes.len()),
    }
}

fn type_name(value: ValueRef<'_>) -> &'static str {
    match value {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "an integer",
        ValueRef::Real(_) => "a real",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "a blob",
    }
}

/// `gen_signature(part, …, replicate)`: the canonical signature of the parts and the replicate.
pub fn gen_signature(args: &[ValueRef<'_>]) -> Result<String, FunctionError> {
    let Some((last, parts)) = args.split_last().filter(|(_, parts)| !parts.is_empty()) else {
        return refuse("gen_signature needs at least one part and a replicate".into());
    };
    // An integer, or text (or the BLOB cohortdb stores for a replicate beyond 64 bits,
    // docs/storage.md) that Python's int() reads, of any size.
    let replicate = match *last {
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            match std::str::from_utf8(t).ok().map(crate::py_int_text) {
                Some(Ok(canonical)) => canonical,
                _ => {
                    return refuse(format!("replicate must be an integer, found {}", echo(t)));
                }
            }
        }
        other => {
            return refuse(format!(
                "replicate must be an integer, found {}",
                type_name(other)
            ));
        }
    };
    let mut out = String::with_capacity(64);
    let mut writer = SignatureWriter::new(&mut out);
    for (i, part) in parts.iter().enumerate() {
        let n = i + 1;
        match *part {
            ValueRef::Text(t) => {
                let text =
                    std::str::from_utf8(t).or_else(|e| refuse(format!("argument {n}: {e}")))?;
                if !writer.component(text) {
                    return refuse(format!("signature part {n} is empty"));
                }
            }
            ValueRef::Integer(v) => writer.integer(v),
            ValueRef::Null => return refuse(format!("argument {n} is NULL")),
            other => {
                return refuse(format!(
                    "argument {n} must be text or an integer, found {}",
                    type_name(other)
                ));
            }
        }
    }
    writer.finish(replicate);
    Ok(out)
}

/// `gen_id(stage, signature[, collision_index])`: the reference gen_id of a canonical signature.
pub fn gen_id(args: &[ValueRef<'_>]) -> Result<String, FunctionError> {
    if !(2..=3).contains(&args.len()) {
        return refuse(format!(
            "gen_id takes a stage, a signature and an optional collision index, found {} arguments",
            args.len()
        ));
    }
    let stage = match args[0] {
        ValueRef::Text(t) => match std::str::from_utf8(t).ok().and_then(Stage::parse) {
            Some(stage) => stage,
            None => {
                return refuse(format!(
                    "unknown stage {} (expected draft, essay or evaluation)",
                    echo(t)
                ));
            }
        },
        other => {
            return refuse(format!(
                "the stage must be text (draft, essay or evaluation), found {}",
                type_name(other)
            ));
        }
    };
    let signature = match args[1] {
        ValueRef::Text(t) => {
            std::str::from_utf8(t).or_else(|e| refuse(format!("signature: {e}")))?
        }
        other => {
            return refuse(format!(
                "signature must be text, found {}",
                type_name(other)
            ));
        }
    };
    let collision = match args.get(2) {
        None => 0,
        Some(ValueRef::Integer(c)) => match u32::try_from(*c) {
            Ok(c) => c,
            Err(_) => return refuse(format!("bad collision index {c}")),
        },
        Some(other) => {
            return refuse(format!(
                "the collision index must be an integer, found {}",
                type_name(*other)
            ));
        }
    };
    Ok(crate::gen_id(stage, signature, collision))
}

/// `gen_signature_digest(signature)`: the registry's 16-byte digest of a signature. Text that
/// is not UTF-8 is refused (a signature is always UTF-8), so distinct arguments never share a
/// digest through a lossy decoding.
pub fn gen_signature_digest(args: &[ValueRef<'_>]) -> Result<[u8; 16], FunctionError> {
    match args {
        [ValueRef::Text(t)] => match std::str::from_utf8(t) {
            Ok(text) => Ok(crate::signature_digest(text)),
            Err(e) => refuse(format!(
                "gen_signature_digest needs UTF-8 text: {e} in {}",
                echo(t)
            )),
        },
        [other] => refuse(format!(
            "gen_signature_digest needs text, found {}",
            type_name(*other)
        )),
        _ => refuse(format!(
            "gen_signature_digest takes one argument, found {}",
            args.len()
        )),
    }
}

/// Runs `f` over the call's arguments, reporting its refusal as SQLite's error.
fn call<T>(
    ctx: &Context<'_>,
    f: fn(&[ValueRef<'_>]) -> Result<T, FunctionError>,
) -> rusqlite::Result<T> {
    let args: Vec<ValueRef<'_>> = (0..ctx.len()).map(|i| ctx.get_raw(i)).collect();
    f(&args).map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
}

/// Registers `gen_signature`, `gen_id` and `gen_signature_digest` on `conn`.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("gen_signature_digest", 1, flags, |ctx| {
        call(ctx, gen_signature_digest).map(|d| d.to_vec())
    })?;
    conn.create_scalar_function("gen_signature", -1, flags, |ctx| call(ctx, gen_signature))?;
    conn.create_scalar_function("gen_id", -1, flags, |ctx| call(ctx, gen_id))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(conn: &Connection, sql: &str) -> rusqlite::Result<String> {
        conn.query_row(sql, [], |r| r.get(0))
    }

    #[test]
    fn sql_gen_id_matches_the_reference_vector() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let id = one(
            &conn,
            "select gen_id('draft', gen_signature('Combo-1', ' draft-A', 'gen-model', 1))",
        )
        .unwrap();
        assert_eq!(id, "d_21hnyjluy35totlo");
        let collided = one(&conn, "select gen_id('draft', 'combo|tpl|model|1', 1)").unwrap();
        assert_eq!(collided, "d_3lmvqkgnqsit2o5l-1");
        let digest: Vec<u8> = conn
            .query_row("select gen_signature_digest('a|1')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(digest, crate::signature_digest("a|1"));
    }

    #[test]
    fn bad_arguments_are_errors_naming_the_value() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        for (sql, message) in [
            ("select gen_signature('', 1)", "signature part 1 is empty"),
            ("select gen_signature(1)", "needs at least one part"),
            ("select gen_signature('a', null, 1)", "argument 2 is NULL"),
            (
                "select gen_signature('a', 1.5, 1)",
                "argument 2 must be text or an integer",
            ),
            (
                "select gen_signature('a', '1.0')",
                "replicate must be an integer, found \"1.0\"",
            ),
            ("select gen_id('drafts', 'a|1')", "unknown stage \"drafts\""),
            ("select gen_id('draft', 1)", "signature must be text"),
            (
                "select gen_id('draft', 'a|1', -1)",
                "bad collision index -1",
            ),
            (
                "select gen_id('draft', 'a|1', '1')",
                "collision index must be an integer",
            ),
            ("select gen_id('draft')", "found 1 arguments"),
            (
                "select gen_signature_digest(1)",
                "needs text, found an integer",
            ),
        ] {
            let err = one(&conn, sql).expect_err(sql).to_string();
            assert!(err.contains(message), "{sql}: {err}");
        }
    }

    #[test]
    fn distinct_texts_never_share_a_digest_and_refusals_echo_capped() {
        // Two different invalid byte strings used to decode to the same U+FFFD text.
        for bad in [&b"a\xff|1"[..], &b"a\xfe|1"[..]] {
            let err = gen_signature_digest(&[ValueRef::Text(bad)]).unwrap_err();
            assert!(err.0.contains("needs UTF-8 text"), "{err}");
        }
        let huge = "x".repeat(5_000_000);
        for err in [
            gen_signature(&[ValueRef::Text(b"a"), ValueRef::Text(huge.as_bytes())]).unwrap_err(),
            gen_id(&[ValueRef::Text(huge.as_bytes()), ValueRef::Text(b"a|1")]).unwrap_err(),
        ] {
            assert!(err.0.len() < 400, "{} bytes", err.0.len());
            assert!(err.0.contains("(5000000 bytes)"), "{}", &err.0[..100]);
        }
    }

    #[test]
    fn text_replicates_and_integer_parts_follow_python() {
        let args = [
            ValueRef::Text(b" ComboA "),
            ValueRef::Integer(7),
            ValueRef::Text(b" 1_0 "),
        ];
        assert_eq!(gen_signature(&args).unwrap(), "comboa|7|10");
        // Replicates of any size, as text or as the BLOB a store keeps beyond 64 bits.
        for replicate in [
            ValueRef::Text(b" 99_999_999_999_999_999_999_999 "),
            ValueRef::Blob(b"99999999999999999999999"),
        ] {
            assert_eq!(
                gen_signature(&[ValueRef::Text(b"c"), replicate]).unwrap(),
                "c|99999999999999999999999"
            );
        }
        let err = gen_signature(&[ValueRef::Text(b"c"), ValueRef::Blob(b"\xff")]).unwrap_err();
        assert!(err.0.contains("replicate must be an integer"), "{err}");
    }
}
