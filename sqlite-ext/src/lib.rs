//! `libcohortdb_sqlite`: a SQLite loadable extension registering cohortdb's SQL functions —
//! `gen_signature(part, …, replicate)`, `gen_id(stage, signature[, collision_index])` and
//! `gen_signature_digest(signature)` (docs/reference.md §3.9) — on any SQLite connection:
//!
//! ```sh
//! sqlite3 cohorts.db -cmd '.load target/release/libcohortdb_sqlite' \
//!   "select gen_id('draft', gen_signature('combo-1', 'draft-A', 'gen-model', 1))"
//! ```
//!
//! The functions are the `cohortdb-genid` crate's, the code cohortdb itself registers on its
//! store connections; this crate only adds the entry points SQLite looks for.

use std::os::raw::{c_char, c_int};

use rusqlite::{Connection, ffi};

/// Registers the functions on the connection SQLite hands to the extension. Returns `false`:
/// the functions belong to this connection only (not a persistent extension).
fn init(db: Connection) -> rusqlite::Result<bool> {
    cohortdb_genid::sql::register(&db)?;
    Ok(false)
}

/// The entry point SQLite derives from the file name `libcohortdb_sqlite` (`sqlite3_` +
/// `cohortdbsqlite` + `_init`).
///
/// # Safety
/// Called by SQLite's extension loader with a valid connection, error pointer and API table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sqlite3_cohortdbsqlite_init(
    db: *mut ffi::sqlite3,
    pz_err_msg: *mut *mut c_char,
    p_api: *mut ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: the arguments are SQLite's, passed through unchanged.
    unsafe { Connection::extension_init2(db, pz_err_msg, p_api, init) }
}

/// The generic entry point, for loaders given another file name (a renamed copy).
///
/// # Safety
/// Called by SQLite's extension loader with a valid connection, error pointer and API table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sqlite3_extension_init(
    db: *mut ffi::sqlite3,
    pz_err_msg: *mut *mut c_char,
    p_api: *mut ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: the arguments are SQLite's, passed through unchanged.
    unsafe { Connection::extension_init2(db, pz_err_msg, p_api, init) }
}
