//! SQL functions cohortdb registers on every connection it opens, so the build's SQL and any
//! user query can compute reference gen_ids (docs/reference.md §3.9): `gen_signature(part, …,
//! replicate)`, `gen_id(stage, signature[, collision_index])` and
//! `gen_signature_digest(signature)`.
//!
//! They are implemented once, in the `cohortdb-genid` crate (`cohortdb_genid::sql`), which the
//! Python package (`cohortdb.gen_id`, `cohortdb.register_functions`) and the SQLite loadable
//! extension (`libcohortdb_sqlite`) use too; this module registers them on the store's
//! connections.

use rusqlite::Connection;

use crate::error::{DbContext, Result};

pub use cohortdb_genid::signature_digest;

/// Registers cohortdb's SQL functions on `conn`.
pub(crate) fn register(conn: &Connection) -> Result<()> {
    cohortdb_genid::sql::register(conn).db("register the gen_id SQL functions")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids;

    #[test]
    fn a_store_connection_has_the_functions() {
        let store = crate::Store::open_in_memory().unwrap();
        let id: String = store
            .conn()
            .query_row(
                "select gen_id('draft', gen_signature('Combo-1', ' draft-A', 'gen-model', 1))",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(id, "d_21hnyjluy35totlo");
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
            let rust = ids::signature(&[("a", &a), ("b", &b)], &replicate.into());
            proptest::prop_assert_eq!(sql.ok(), rust.ok());
        }
    }
}
