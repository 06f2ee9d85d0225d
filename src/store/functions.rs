//! SQL functions cohortdb registers on every connection it opens, so the build's SQL and any
//! user query can compute reference gen_ids (docs/reference.md §3.9):
//!
//! * `gen_signature(part, …, replicate)`: the canonical signature string — each text part
//!   trimmed (Python whitespace) and lowercased, joined with `|`, then the integer replicate.
//!   An empty part is an error.
//! * `gen_id(stage, signature[, collision_index])`: BLAKE2b-80 → base 36 with the stage
//!   prefix, and `-N` for a collision index N > 0.
//! * `gen_signature_digest(signature)`: the 16-byte BLAKE3 digest the registry keeps.
//!
//! Both are deterministic, so SQLite may use them in indexes and factor calls out of loops.

use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;

use crate::error::{DbContext, Result};
use crate::ids::{self, SignatureWriter, Stage};

fn user_error(message: String) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(message.into())
}

fn gen_signature(ctx: &Context<'_>) -> rusqlite::Result<String> {
    let n = ctx.len();
    if n < 2 {
        return Err(user_error(
            "gen_signature needs at least one part and a replicate".into(),
        ));
    }
    let replicate = match ctx.get_raw(n - 1) {
        ValueRef::Integer(i) => i,
        ValueRef::Text(t) => ids::py_int(&String::from_utf8_lossy(t))
            .ok_or_else(|| user_error("replicate must be an integer".into()))?,
        _ => return Err(user_error("replicate must be an integer".into())),
    };
    let mut out = String::with_capacity(64);
    let mut writer = SignatureWriter::new(&mut out);
    for i in 0..n - 1 {
        match ctx.get_raw(i) {
            ValueRef::Text(t) => {
                let text = std::str::from_utf8(t)
                    .map_err(|e| user_error(format!("argument {}: {e}", i + 1)))?;
                if !writer.component(text) {
                    return Err(user_error(format!("signature part {} is empty", i + 1)));
                }
            }
            ValueRef::Integer(v) => writer.integer(v),
            ValueRef::Null => return Err(user_error(format!("argument {} is NULL", i + 1))),
            other => {
                return Err(user_error(format!(
                    "argument {} must be text, found {:?}",
                    i + 1,
                    other.data_type()
                )));
            }
        }
    }
    writer.finish(replicate);
    Ok(out)
}

fn gen_id(ctx: &Context<'_>) -> rusqlite::Result<String> {
    let stage = match ctx.get_raw(0) {
        ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(Stage::parse),
        _ => None,
    }
    .ok_or_else(|| user_error(format!("unknown stage {:?}", ctx.get_raw(0))))?;
    let signature = match ctx.get_raw(1) {
        ValueRef::Text(t) => {
            std::str::from_utf8(t).map_err(|e| user_error(format!("signature: {e}")))?
        }
        other => {
            return Err(user_error(format!(
                "signature must be text, found {:?}",
                other.data_type()
            )));
        }
    };
    let collision = if ctx.len() > 2 {
        let c: i64 = ctx.get(2)?;
        u32::try_from(c).map_err(|_| user_error(format!("bad collision index {c}")))?
    } else {
        0
    };
    Ok(ids::gen_id(stage, signature, collision))
}

/// The registry's signature digest: the first 16 bytes of BLAKE3 over the signature text.
pub fn signature_digest(signature: &str) -> [u8; 16] {
    let hash = blake3::hash(signature.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&hash.as_bytes()[..16]);
    out
}

fn gen_signature_digest(ctx: &Context<'_>) -> rusqlite::Result<Vec<u8>> {
    match ctx.get_raw(0) {
        ValueRef::Text(t) => Ok(signature_digest(&String::from_utf8_lossy(t)).to_vec()),
        other => Err(user_error(format!(
            "gen_signature_digest needs text, found {:?}",
            other.data_type()
        ))),
    }
}

/// Registers cohortdb's SQL functions on `conn`.
pub(crate) fn register(conn: &Connection) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("gen_signature_digest", 1, flags, gen_signature_digest)
        .db("register gen_signature_digest")?;
    conn.create_scalar_function("gen_signature", -1, flags, gen_signature)
        .db("register gen_signature")?;
    conn.create_scalar_function("gen_id", -1, flags, gen_id)
        .db("register gen_id")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_gen_id_matches_the_reference_vector() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let id: String = conn
            .query_row(
                "select gen_id('draft', gen_signature('Combo-1', ' draft-A', 'gen-model', 1))",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(id, "d_21hnyjluy35totlo");
        let collided: String = conn
            .query_row("select gen_id('draft', 'combo|tpl|model|1', 1)", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(collided, "d_3lmvqkgnqsit2o5l-1");
        let err = conn.query_row("select gen_signature('', 1)", [], |r| r.get::<_, String>(0));
        assert!(err.is_err());
    }

    proptest::proptest! {
        /// The SQL function and the Rust signature are one formatter: they agree on any text.
        #[test]
        fn sql_and_rust_signatures_agree(
            a in "[ \\tA-Za-zΣσ0-9_.-]{0,8}",
            b in "[ \\tA-Za-zΣσ0-9_.-]{0,8}",
            replicate in -3i64..1000,
        ) {
            let conn = Connection::open_in_memory().expect("an in-memory database");
            register(&conn).expect("the functions register");
            let sql: rusqlite::Result<String> = conn.query_row(
                "select gen_signature(?1, ?2, ?3)",
                rusqlite::params![a, b, replicate],
                |r| r.get(0),
            );
            let rust = ids::signature(&[("a", &a), ("b", &b)], replicate);
            proptest::prop_assert_eq!(sql.ok(), rust.ok());
        }
    }
}
