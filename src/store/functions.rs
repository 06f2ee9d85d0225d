//! SQL functions cohortdb registers on every connection it opens, so the build's SQL and any
//! user query can compute reference gen_ids (semantics §3.9):
//!
//! * `gen_signature(part, …, replicate)`: the canonical signature string — each text part
//!   trimmed (Python whitespace) and lowercased, joined with `|`, then the integer replicate.
//!   An empty part is an error.
//! * `gen_id(stage, signature[, collision_index])`: BLAKE2b-80 → base 36 with the stage
//!   prefix, and `-N` for a collision index N > 0.
//!
//! Both are deterministic, so SQLite may use them in indexes and factor calls out of loops.

use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;

use crate::error::{DbContext, Result};
use crate::ids::{self, Stage};

fn user_error(message: String) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(message.into())
}

fn text_arg(ctx: &Context<'_>, index: usize) -> rusqlite::Result<String> {
    match ctx.get_raw(index) {
        ValueRef::Text(t) => Ok(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Integer(i) => Ok(i.to_string()),
        ValueRef::Null => Err(user_error(format!("argument {} is NULL", index + 1))),
        other => Err(user_error(format!(
            "argument {} must be text, found {:?}",
            index + 1,
            other.data_type()
        ))),
    }
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
    let mut out = String::new();
    for i in 0..n - 1 {
        let part = text_arg(ctx, i)?;
        let normalized = ids::normalize_component("part", &part)
            .map_err(|_| user_error(format!("signature part {} is empty", i + 1)))?;
        out.push_str(&normalized);
        out.push('|');
    }
    out.push_str(&replicate.to_string());
    Ok(out)
}

fn gen_id(ctx: &Context<'_>) -> rusqlite::Result<String> {
    let stage_text = text_arg(ctx, 0)?;
    let stage = Stage::parse(&stage_text)
        .ok_or_else(|| user_error(format!("unknown stage {stage_text:?}")))?;
    let signature = text_arg(ctx, 1)?;
    let collision = if ctx.len() > 2 {
        let c: i64 = ctx.get(2)?;
        u32::try_from(c).map_err(|_| user_error(format!("bad collision index {c}")))?
    } else {
        0
    };
    Ok(ids::gen_id(stage, &signature, collision))
}

/// Registers cohortdb's SQL functions on `conn`.
pub(crate) fn register(conn: &Connection) -> Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
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
}
