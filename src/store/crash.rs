//! A test-only crash hook, compiled only with the `crash-hook` cargo feature (never in a
//! release artefact: `cargo build --release`, `cargo install` and the Python wheel leave it
//! out, and the variable is then not even read; docs/reliability.md, "Crashes"). With
//! `COHORTDB_CRASH_AT_WRITE=N` in the environment, the process aborts (like a `SIGKILL`, no
//! cleanup) just before its N-th write reaches the store — the N-th commit of any connection,
//! or the final link of a new store. `tests/reliability.rs` runs every command with N = 1, 2,
//! … to prove each kill point leaves a store that opens or is refused with a way out (run with
//! `cargo test --features crash-hook`; `.ci/run` does).

use rusqlite::Connection;

#[cfg(feature = "crash-hook")]
mod hook {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// The environment variable naming the write to crash at.
    const ENV: &str = "COHORTDB_CRASH_AT_WRITE";

    static TARGET: OnceLock<Option<u64>> = OnceLock::new();
    static WRITES: AtomicU64 = AtomicU64::new(0);

    pub(super) fn target() -> Option<u64> {
        *TARGET.get_or_init(|| std::env::var(ENV).ok().and_then(|v| v.parse().ok()))
    }

    pub(super) fn point() {
        if let Some(target) = target() {
            let n = WRITES.fetch_add(1, Ordering::SeqCst) + 1;
            if n == target {
                std::process::abort();
            }
        }
    }
}

/// Counts one write and aborts the process when it is the chosen one (with the `crash-hook`
/// feature; otherwise nothing).
pub(crate) fn point() {
    #[cfg(feature = "crash-hook")]
    hook::point();
}

/// Makes every commit on `conn` a crash point (only with the `crash-hook` feature and the
/// variable set).
pub(crate) fn install(conn: &mut Connection) {
    #[cfg(feature = "crash-hook")]
    if hook::target().is_some() {
        // Installing a hook on an open connection cannot fail.
        let _ = conn.commit_hook(Some(|| {
            hook::point();
            false
        }));
    }
    #[cfg(not(feature = "crash-hook"))]
    let _ = conn;
}
