//! `libcohortdb_sqlite`: a SQLite loadable extension registering cohortdb's SQL functions —
//! `gen_signature(part, …, replicate)`, `gen_id(stage, signature[, collision_index])` and
//! `gen_signature_digest(signature)` (docs/reference.md §3.9) — on any SQLite connection:
//!
//! ```sh
//! sqlite3 cohorts.db -cmd '.load target/release/libcohortdb_sqlite' \
//!   "select gen_id('draft', gen_signature('combo-1', 'draft-A', 'gen-model', 1))"
//! ```
//!
//! The functions are the `cohortdb-genid` crate's — the code cohortdb registers on its own
//! store connections; this crate only moves values between SQLite and them.
//!
//! The entry point is written against SQLite's extension API table (`sqlite3_api_routines`)
//! directly rather than through rusqlite's `extension_init2`, which refuses any SQLite older
//! than the bindings it was generated from (3.45): the sqlite3 shell, Python's `sqlite3` and
//! Datasette usually run the system's SQLite (Debian 12 ships 3.40). Only routines present since
//! SQLite 3.7.3 are used, and the table only ever grows at its end, so its layout holds for
//! every SQLite that can load extensions.

use std::os::raw::{c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicPtr, Ordering};

use cohortdb_genid::sql::{self, FunctionError};
use rusqlite::ffi;
use rusqlite::types::ValueRef;

/// The host's API table, set by the entry point before any function is registered.
static API: AtomicPtr<ffi::sqlite3_api_routines> = AtomicPtr::new(std::ptr::null_mut());

/// What a function returns.
enum Output {
    Text(String),
    Blob([u8; 16]),
}

/// The three functions, in registration order; the index is passed as the user-data pointer.
const FUNCTIONS: [(&std::ffi::CStr, c_int); 3] = [
    (c"gen_signature", -1),
    (c"gen_id", -1),
    (c"gen_signature_digest", 1),
];

fn dispatch(index: usize, args: &[ValueRef<'_>]) -> Result<Output, FunctionError> {
    match index {
        0 => sql::gen_signature(args).map(Output::Text),
        1 => sql::gen_id(args).map(Output::Text),
        _ => sql::gen_signature_digest(args).map(Output::Blob),
    }
}

/// Reads one argument as a [`ValueRef`] borrowing SQLite's buffer (valid during the call).
///
/// # Safety
/// `api` is the host's table and `value` an argument of the current call.
unsafe fn value_ref<'a>(
    api: &ffi::sqlite3_api_routines,
    value: *mut ffi::sqlite3_value,
) -> Option<ValueRef<'a>> {
    // SAFETY: the routines are the host's; `value` is valid for the call. Text and blob bytes
    // are read after their pointer, as SQLite documents.
    unsafe {
        Some(match (api.value_type?)(value) {
            ffi::SQLITE_INTEGER => ValueRef::Integer((api.value_int64?)(value)),
            ffi::SQLITE_FLOAT => ValueRef::Real((api.value_double?)(value)),
            ffi::SQLITE_TEXT => {
                let p = (api.value_text?)(value);
                let n = usize::try_from((api.value_bytes?)(value)).unwrap_or(0);
                if p.is_null() {
                    ValueRef::Text(&[])
                } else {
                    ValueRef::Text(std::slice::from_raw_parts(p, n))
                }
            }
            ffi::SQLITE_BLOB => {
                let p = (api.value_blob?)(value).cast::<u8>();
                let n = usize::try_from((api.value_bytes?)(value)).unwrap_or(0);
                if p.is_null() {
                    ValueRef::Blob(&[])
                } else {
                    ValueRef::Blob(std::slice::from_raw_parts(p, n))
                }
            }
            _ => ValueRef::Null,
        })
    }
}

/// The `xFunc` of every function: reads the arguments, calls the shared implementation, sets
/// the result or the error message.
unsafe extern "C" fn call(
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    let api_ptr = API.load(Ordering::Acquire);
    if api_ptr.is_null() {
        return;
    }
    // SAFETY: set once by the entry point to the host's table, which outlives the connection.
    let api = unsafe { &*api_ptr };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `user_data` returns the pointer given at registration (the function index).
        let index = unsafe { api.user_data.map(|f| f(ctx) as usize).unwrap_or(usize::MAX) };
        let argc = usize::try_from(argc).unwrap_or(0);
        let mut args = Vec::with_capacity(argc);
        for i in 0..argc {
            // SAFETY: SQLite passes `argc` valid values in `argv`.
            match unsafe { value_ref(api, *argv.add(i)) } {
                Some(v) => args.push(v),
                None => return Err(FunctionError("the SQLite API table lacks a routine".into())),
            }
        }
        dispatch(index, &args)
    }));
    let result = outcome.unwrap_or_else(|_| Err(FunctionError("internal error".into())));
    // SAFETY: the result routines copy the bytes (SQLITE_TRANSIENT) before returning.
    unsafe {
        match result {
            Ok(Output::Text(text)) => {
                if let (Some(f), Ok(n)) = (api.result_text, c_int::try_from(text.len())) {
                    f(
                        ctx,
                        text.as_ptr().cast::<c_char>(),
                        n,
                        ffi::SQLITE_TRANSIENT(),
                    );
                }
            }
            Ok(Output::Blob(bytes)) => {
                if let Some(f) = api.result_blob {
                    f(
                        ctx,
                        bytes.as_ptr().cast::<c_void>(),
                        16,
                        ffi::SQLITE_TRANSIENT(),
                    );
                }
            }
            Err(e) => {
                let message = e.to_string();
                if let (Some(f), Ok(n)) = (api.result_error, c_int::try_from(message.len())) {
                    f(ctx, message.as_ptr().cast::<c_char>(), n);
                }
            }
        }
    }
}

/// Registers the functions on `db`.
///
/// # Safety
/// `db` is a valid connection and `p_api` the host's API table.
unsafe fn init(db: *mut ffi::sqlite3, p_api: *const ffi::sqlite3_api_routines) -> c_int {
    if p_api.is_null() {
        return ffi::SQLITE_ERROR;
    }
    API.store(p_api.cast_mut(), Ordering::Release);
    // SAFETY: checked non-null; the host's table lives as long as the process.
    let api = unsafe { &*p_api };
    let Some(create) = api.create_function_v2 else {
        return ffi::SQLITE_ERROR;
    };
    for (index, (name, args)) in FUNCTIONS.iter().enumerate() {
        // SAFETY: `name` is NUL-terminated and static; the user-data pointer is an index, never
        // dereferenced.
        let rc = unsafe {
            create(
                db,
                name.as_ptr(),
                *args,
                ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC,
                index as *mut c_void,
                Some(call),
                None,
                None,
                None,
            )
        };
        if rc != ffi::SQLITE_OK {
            return rc;
        }
    }
    ffi::SQLITE_OK
}

/// The entry point SQLite derives from the file name `libcohortdb_sqlite` (`sqlite3_` +
/// `cohortdbsqlite` + `_init`).
///
/// # Safety
/// Called by SQLite's extension loader with a valid connection and API table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sqlite3_cohortdbsqlite_init(
    db: *mut ffi::sqlite3,
    _pz_err_msg: *mut *mut c_char,
    p_api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: the arguments are SQLite's, passed through unchanged.
    unsafe { init(db, p_api) }
}

/// The generic entry point SQLite tries first.
///
/// # Safety
/// Called by SQLite's extension loader with a valid connection and API table.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sqlite3_extension_init(
    db: *mut ffi::sqlite3,
    _pz_err_msg: *mut *mut c_char,
    p_api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: the arguments are SQLite's, passed through unchanged.
    unsafe { init(db, p_api) }
}
