//! A test-only crash hook: with `COHORTDB_CRASH_AT_WRITE=N` in the environment, the process
//! aborts (like a `SIGKILL`, no cleanup) just before its N-th write reaches the store — the
//! N-th commit of any connection, or the final link of a new store. `tests/reliability.rs`
//! runs every command with N = 1, 2, … to prove each kill point leaves a store that opens or is
//! refused with a way out (see `docs/reliability.md`). Unset, it costs one environment lookup.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::Connection;

/// The environment variable naming the write to crash at.
pub(crate) const ENV: &str = "COHORTDB_CRASH_AT_WRITE";

static TARGET: OnceLock<Option<u64>> = OnceLock::new();
static WRITES: AtomicU64 = AtomicU64::new(0);

fn target() -> Option<u64> {
    *TARGET.get_or_init(|| std::env::var(ENV).ok().and_then(|v| v.parse().ok()))
}

/// Counts one write and aborts the process when it is the chosen one.
pub(crate) fn point() {
    if let Some(target) = target() {
        let n = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
        if n == target {
            std::process::abort();
        }
    }
}

/// Makes every commit on `conn` a crash point (only when the hook is enabled).
pub(crate) fn install(conn: &mut Connection) {
    if target().is_some() {
        // Installing a hook on an open connection cannot fail.
        let _ = conn.commit_hook(Some(|| {
            point();
            false
        }));
    }
}
