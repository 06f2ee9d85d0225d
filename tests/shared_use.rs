//! Shared use of one store (issue 20; docs/storage.md "Sharing a store", docs/decisions.md
//! D26): threads and processes writing and reading at once, a transaction held open by another
//! copy of SQLite in the same process (what Python's `sqlite3` module is next to the package),
//! and a reader as another user while the owner writes.
//!
//! Every scenario repeats `COHORTDB_SHARED_RUNS` times (default 2). The issue's "100 runs in a
//! row" is `COHORTDB_SHARED_RUNS=100 cargo test --release --test shared_use`.
//!
//! The other SQLite copy is the system's `libsqlite3.so.0`, loaded with `dlopen` into this test
//! process: a second, independent SQLite library next to the one cohortdb bundles, locking with
//! classic POSIX locks — as `_sqlite3` does inside a Python process. Without that library the
//! scenarios that need it are skipped with a line saying so; the other-user scenario is skipped
//! (with a line) unless the tests run as root with `setpriv`.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cohortdb::app::{BuildRequest, Cancel, Context, Quiet, Workspace};
use support::Sandbox;

/// How many times each scenario runs.
fn runs() -> usize {
    std::env::var("COHORTDB_SHARED_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}

/// A spec of 2·2·2·5 drafts, ×4 essays, ×2·10 evaluations: 8,120 members.
const SPEC: &str = "axes:
  combo_id: [combo-1, combo-2]
  draft_template: [draft-A, draft-B]
  draft_llm: [gen-a, gen-b]
  draft_replicate: [1, 2, 3, 4, 5]
  essay_template: [essay-X]
  essay_llm: [gen-a]
  essay_replicate: [1, 2, 3, 4]
  evaluation_template: [eval-1, eval-2]
  evaluation_llm: [judge]
  evaluation_replicate: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
output: {field_order: []}
";
const SPEC_MEMBERS: i64 = 40 + 160 + 3_200;

/// A sandbox with the fixture data imported, `alpha` built, and cohorts `c0`…`c{n-1}` ready to
/// build from [`SPEC`] (each with its own seed).
fn sandbox_with_specs(n: usize) -> Sandbox {
    let sandbox = Sandbox::baseline();
    for i in 0..n {
        sandbox.write(
            &format!("data/cohorts/c{i}/spec/config.yaml"),
            SPEC.replace(
                "field_order: []",
                &format!("field_order: [], seed: {}", i + 1),
            ),
        );
    }
    sandbox
}

/// Builds `cohort` through the library, as the Python package does.
fn build(sandbox: &Sandbox, cohort: &str) -> cohortdb::Result<()> {
    let workspace = Workspace::new(sandbox.db(), sandbox.path("data"));
    let cancel = Cancel::new();
    let request = BuildRequest {
        cohort_id: cohort.to_string(),
        ..BuildRequest::default()
    };
    workspace
        .build(&request, Context::new(&Quiet, &cancel))
        .map(|_| ())
}

fn members(conn: &rusqlite::Connection, cohort: &str) -> i64 {
    conn.query_row(
        "select count(*) from membership where cohort_id = ?1",
        [cohort],
        |r| r.get(0),
    )
    .unwrap()
}

fn integrity(db: &Path) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("pragma integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// The second copy of SQLite: the system library, reached through `dlopen`.
mod other {
    use std::ffi::{CStr, CString, c_char, c_int, c_void};
    use std::path::Path;
    use std::sync::OnceLock;

    type Open =
        unsafe extern "C" fn(*const c_char, *mut *mut c_void, c_int, *const c_char) -> c_int;
    type Exec = unsafe extern "C" fn(
        *mut c_void,
        *const c_char,
        *const c_void,
        *mut c_void,
        *mut *mut c_char,
    ) -> c_int;
    type Close = unsafe extern "C" fn(*mut c_void) -> c_int;
    type BusyTimeout = unsafe extern "C" fn(*mut c_void, c_int) -> c_int;
    type ErrMsg = unsafe extern "C" fn(*mut c_void) -> *const c_char;
    type Prepare = unsafe extern "C" fn(
        *mut c_void,
        *const c_char,
        c_int,
        *mut *mut c_void,
        *mut *const c_char,
    ) -> c_int;
    type Step = unsafe extern "C" fn(*mut c_void) -> c_int;
    type Column = unsafe extern "C" fn(*mut c_void, c_int) -> i64;
    type ColumnText = unsafe extern "C" fn(*mut c_void, c_int) -> *const c_char;
    type Finalize = unsafe extern "C" fn(*mut c_void) -> c_int;

    /// The library's entry points the tests use.
    pub struct Lib {
        open: Open,
        exec: Exec,
        close: Close,
        busy_timeout: BusyTimeout,
        errmsg: ErrMsg,
        prepare: Prepare,
        step: Step,
        column: Column,
        column_text: ColumnText,
        finalize: Finalize,
    }

    /// The system SQLite, loaded once; `None` (with the reason) when it is not there.
    pub fn lib() -> Result<&'static Lib, String> {
        static LIB: OnceLock<Result<Lib, String>> = OnceLock::new();
        LIB.get_or_init(load).as_ref().map_err(Clone::clone)
    }

    fn load() -> Result<Lib, String> {
        // SAFETY: dlopen of a shared library by name; RTLD_LOCAL keeps its symbols to itself.
        let handle = unsafe {
            libc::dlopen(
                c"libsqlite3.so.0".as_ptr(),
                libc::RTLD_NOW | libc::RTLD_LOCAL,
            )
        };
        if handle.is_null() {
            return Err("no libsqlite3.so.0 (apt-get install libsqlite3-0)".into());
        }
        let sym = |name: &CStr| {
            // SAFETY: a symbol of the handle just opened.
            let p = unsafe { libc::dlsym(handle, name.as_ptr()) };
            if p.is_null() {
                Err(format!("libsqlite3.so.0 has no {name:?}"))
            } else {
                Ok(p)
            }
        };
        // SAFETY: each symbol has the C signature of SQLite's documented API.
        unsafe {
            Ok(Lib {
                open: std::mem::transmute::<*mut c_void, Open>(sym(c"sqlite3_open_v2")?),
                exec: std::mem::transmute::<*mut c_void, Exec>(sym(c"sqlite3_exec")?),
                close: std::mem::transmute::<*mut c_void, Close>(sym(c"sqlite3_close_v2")?),
                busy_timeout: std::mem::transmute::<*mut c_void, BusyTimeout>(sym(
                    c"sqlite3_busy_timeout",
                )?),
                errmsg: std::mem::transmute::<*mut c_void, ErrMsg>(sym(c"sqlite3_errmsg")?),
                prepare: std::mem::transmute::<*mut c_void, Prepare>(sym(c"sqlite3_prepare_v2")?),
                step: std::mem::transmute::<*mut c_void, Step>(sym(c"sqlite3_step")?),
                column: std::mem::transmute::<*mut c_void, Column>(sym(c"sqlite3_column_int64")?),
                column_text: std::mem::transmute::<*mut c_void, ColumnText>(sym(
                    c"sqlite3_column_text",
                )?),
                finalize: std::mem::transmute::<*mut c_void, Finalize>(sym(c"sqlite3_finalize")?),
            })
        }
    }

    /// A connection of the other copy.
    pub struct Conn {
        db: *mut c_void,
        lib: &'static Lib,
    }

    // SAFETY: the system library is built threadsafe (serialized by default); each connection
    // is used by one thread at a time here.
    unsafe impl Send for Conn {}

    const SQLITE_OPEN_READWRITE: c_int = 2;
    const SQLITE_ROW: c_int = 100;
    const SQLITE_DONE: c_int = 101;

    impl Conn {
        /// Opens `path` read-write with a busy timeout of `busy_ms`.
        pub fn open(lib: &'static Lib, path: &Path, busy_ms: i32) -> Conn {
            let c = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
            let mut db = std::ptr::null_mut();
            // SAFETY: documented API with valid arguments.
            let rc =
                unsafe { (lib.open)(c.as_ptr(), &mut db, SQLITE_OPEN_READWRITE, std::ptr::null()) };
            let conn = Conn { db, lib };
            assert_eq!(rc, 0, "open: {}", conn.error());
            // SAFETY: as above.
            unsafe { (lib.busy_timeout)(db, busy_ms) };
            conn
        }

        fn error(&self) -> String {
            // SAFETY: errmsg returns a NUL-terminated string owned by the connection.
            unsafe { CStr::from_ptr((self.lib.errmsg)(self.db)) }
                .to_string_lossy()
                .into_owned()
        }

        /// Runs statements; SQLite's message on failure.
        pub fn exec(&self, sql: &str) -> Result<(), String> {
            let c = CString::new(sql).unwrap();
            // SAFETY: as above; no callback.
            let rc = unsafe {
                (self.lib.exec)(
                    self.db,
                    c.as_ptr(),
                    std::ptr::null(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                )
            };
            if rc == 0 { Ok(()) } else { Err(self.error()) }
        }

        /// The first row of `sql` as text columns; SQLite's message on failure.
        pub fn row(&self, sql: &str) -> Result<Vec<String>, String> {
            let c = CString::new(sql).unwrap();
            let mut stmt = std::ptr::null_mut();
            // SAFETY: as above.
            let rc = unsafe {
                (self.lib.prepare)(self.db, c.as_ptr(), -1, &mut stmt, std::ptr::null_mut())
            };
            if rc != 0 {
                return Err(self.error());
            }
            let mut out = Vec::new();
            // SAFETY: a prepared statement, stepped once and finalized.
            let rc = unsafe { (self.lib.step)(stmt) };
            let result = match rc {
                SQLITE_ROW => {
                    for i in 0.. {
                        // SAFETY: as above; a NULL pointer past the last column.
                        let p = unsafe { (self.lib.column_text)(stmt, i) };
                        if p.is_null() {
                            break;
                        }
                        // SAFETY: a NUL-terminated column text.
                        out.push(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned());
                    }
                    Ok(out)
                }
                SQLITE_DONE => Ok(out),
                _ => Err(self.error()),
            };
            // SAFETY: as above.
            unsafe { (self.lib.finalize)(stmt) };
            result
        }

        /// One integer result.
        pub fn int(&self, sql: &str) -> Result<i64, String> {
            let c = CString::new(sql).unwrap();
            let mut stmt = std::ptr::null_mut();
            // SAFETY: as above.
            let rc = unsafe {
                (self.lib.prepare)(self.db, c.as_ptr(), -1, &mut stmt, std::ptr::null_mut())
            };
            if rc != 0 {
                return Err(self.error());
            }
            // SAFETY: as above.
            let result = match unsafe { (self.lib.step)(stmt) } {
                SQLITE_ROW => Ok(unsafe { (self.lib.column)(stmt, 0) }),
                _ => Err(self.error()),
            };
            // SAFETY: as above.
            unsafe { (self.lib.finalize)(stmt) };
            result
        }
    }

    impl Drop for Conn {
        fn drop(&mut self) {
            // SAFETY: the connection this value owns.
            unsafe { (self.lib.close)(self.db) };
        }
    }
}

/// The other SQLite copy, or `None` after printing why the scenario is skipped.
fn other_copy(test: &str) -> Option<&'static other::Lib> {
    match other::lib() {
        Ok(lib) => Some(lib),
        Err(why) => {
            eprintln!("skipped {test}: {why}");
            None
        }
    }
}

#[test]
fn the_lock_replacement_is_installed_when_the_program_loads() {
    const NAME: &str = "the_lock_replacement_is_installed_when_the_program_loads";
    if std::env::var_os("COHORTDB_TEST_AT_LOAD").is_some() {
        // A fresh test process running only this test: nothing of cohortdb was called yet.
        assert!(cohortdb::store::ofd::active());
        return;
    }
    if !cfg!(target_os = "linux") {
        eprintln!("skipped {NAME}: open file description locks are Linux's");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--test-threads=1"])
        .env("COHORTDB_TEST_AT_LOAD", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_build_waits_for_a_write_transaction_held_by_another_sqlite_copy_in_the_process() {
    let Some(lib) = other_copy("a_build_waits_for_a_write_transaction…") else {
        return;
    };
    for run in 0..runs() {
        let sandbox = sandbox_with_specs(1);
        let user = other::Conn::open(lib, &sandbox.db(), 5_000);
        user.exec("create table notes(x)").unwrap();
        user.exec("begin immediate; insert into notes values ('held')")
            .unwrap();
        let done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let builder = scope.spawn(|| {
                let result = build(&sandbox, "c0");
                done.store(true, Ordering::SeqCst);
                result
            });
            std::thread::sleep(Duration::from_millis(400));
            assert!(
                !done.load(Ordering::SeqCst),
                "run {run}: the build finished while another copy held the write lock"
            );
            user.exec("commit").unwrap();
            builder.join().unwrap().unwrap();
        });
        assert_eq!(user.row("pragma integrity_check").unwrap(), ["ok"]);
        assert_eq!(user.int("select count(*) from notes").unwrap(), 1);
        drop(user);
        assert_eq!(integrity(&sandbox.db()), "ok", "run {run}");
        let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
        assert_eq!(members(&conn, "c0"), SPEC_MEMBERS, "run {run}");
        assert!(members(&conn, "alpha") > 0, "run {run}");
    }
}

#[test]
fn another_copy_waits_for_a_build_and_its_readers_see_whole_snapshots() {
    let Some(lib) = other_copy("another_copy_waits_for_a_build…") else {
        return;
    };
    for run in 0..runs() {
        let sandbox = sandbox_with_specs(2);
        let setup = other::Conn::open(lib, &sandbox.db(), 5_000);
        setup.exec("create table notes(x)").unwrap();
        let before = setup.int("select count(*) from membership").unwrap();
        drop(setup);
        let legal: BTreeSet<i64> = [before, before + SPEC_MEMBERS, before + 2 * SPEC_MEMBERS]
            .into_iter()
            .collect();
        let done = AtomicBool::new(false);
        let (seen, notes) = std::thread::scope(|scope| {
            let builder = scope.spawn(|| {
                let result = build(&sandbox, "c0").and_then(|()| build(&sandbox, "c1"));
                done.store(true, Ordering::SeqCst);
                result
            });
            // Readers of the other copy, opening a connection per read (each close is the
            // other copy's: it must not drop the build's locks) and holding one open.
            let reader = scope.spawn(|| {
                let held = other::Conn::open(lib, &sandbox.db(), 5_000);
                let mut seen = Vec::new();
                loop {
                    let finished = done.load(Ordering::SeqCst);
                    let fresh = other::Conn::open(lib, &sandbox.db(), 5_000);
                    for conn in [&held, &fresh] {
                        let row = conn
                            .row(
                                "select (select count(*) from membership), \
                                 (select count(*) from cohort_members where stage = 2) \
                                 + (select count(*) from cohort_members where stage <> 2)",
                            )
                            .unwrap_or_else(|e| panic!("run {run}: a read failed: {e}"));
                        seen.push((
                            row[0].parse::<i64>().unwrap(),
                            row[1].parse::<i64>().unwrap(),
                        ));
                    }
                    if finished {
                        break seen;
                    }
                }
            });
            // A writer of the other copy: waits for the build's transaction, never interleaves.
            let writer = scope.spawn(|| {
                let conn = other::Conn::open(lib, &sandbox.db(), 60_000);
                let mut notes = 0;
                while !done.load(Ordering::SeqCst) {
                    conn.exec("begin immediate; insert into notes values (1); commit")
                        .unwrap_or_else(|e| panic!("run {run}: the other copy's write: {e}"));
                    notes += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                notes
            });
            builder.join().unwrap().unwrap();
            (reader.join().unwrap(), writer.join().unwrap())
        });
        for (total, parts) in &seen {
            assert_eq!(total, parts, "run {run}: one statement saw two states");
            assert!(legal.contains(total), "run {run}: a torn count {total}");
        }
        assert!(
            seen.windows(2).all(|w| w[0].0 <= w[1].0),
            "run {run}: a read went back in time"
        );
        assert_eq!(integrity(&sandbox.db()), "ok", "run {run}");
        let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
        assert_eq!(members(&conn, "c0"), SPEC_MEMBERS);
        assert_eq!(members(&conn, "c1"), SPEC_MEMBERS);
        let stored: i64 = conn
            .query_row("select count(*) from notes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, notes, "run {run}");
    }
}

#[test]
fn closing_connections_in_one_copy_keeps_the_other_copy_s_snapshot() {
    let Some(lib) = other_copy("closing_connections_in_one_copy…") else {
        return;
    };
    for run in 0..runs() {
        let sandbox = sandbox_with_specs(2);
        // The other copy reads in a transaction; cohortdb opens and closes stores around it,
        // builds, and checkpoints when its writer closes. Its snapshot must stay whole.
        let reader = other::Conn::open(lib, &sandbox.db(), 5_000);
        reader.exec("begin").unwrap();
        let before = reader.int("select count(*) from membership").unwrap();
        for _ in 0..3 {
            drop(cohortdb::store::Store::open_read_only(sandbox.db()).unwrap());
            drop(cohortdb::store::Store::open(sandbox.db()).unwrap());
        }
        build(&sandbox, "c0").unwrap();
        assert_eq!(
            reader.int("select count(*) from membership").unwrap(),
            before,
            "run {run}: the snapshot moved"
        );
        assert_eq!(
            reader.row("pragma quick_check").unwrap(),
            ["ok"],
            "run {run}"
        );
        reader.exec("commit").unwrap();
        assert_eq!(
            reader.int("select count(*) from membership").unwrap(),
            before + SPEC_MEMBERS
        );

        // And the other way round: a cohortdb reader holds a snapshot while the other copy
        // opens and closes connections, writes and checkpoints.
        let store = cohortdb::store::Store::open_read_only(sandbox.db()).unwrap();
        let conn = store.conn();
        conn.execute_batch("begin").unwrap();
        let mine: i64 = conn
            .query_row("select count(*) from membership", [], |r| r.get(0))
            .unwrap();
        for _ in 0..3 {
            let other = other::Conn::open(lib, &sandbox.db(), 5_000);
            assert!(other.int("select count(*) from cohort_records").unwrap() > 0);
            drop(other);
        }
        let writer = other::Conn::open(lib, &sandbox.db(), 5_000);
        writer
            .exec(
                "create table if not exists notes(x); \
                 with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000) \
                 insert into notes select i from n",
            )
            .unwrap();
        // Cannot finish (the cohortdb snapshot is older), and must not go past it.
        let _ = writer.exec("pragma wal_checkpoint(truncate)");
        drop(writer);
        let again: i64 = conn
            .query_row("select count(*) from membership", [], |r| r.get(0))
            .unwrap();
        assert_eq!(again, mine, "run {run}: the cohortdb snapshot moved");
        let check: String = conn
            .query_row("pragma quick_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "run {run}");
        conn.execute_batch("commit").unwrap();
        drop(store);
        assert_eq!(integrity(&sandbox.db()), "ok", "run {run}");
    }
}

/// Runs `cohortdb args…` in the sandbox.
fn cli(sandbox: &Sandbox, args: &[&str]) -> Output {
    sandbox.std_cmd().args(args).output().unwrap()
}

fn assert_ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn threads_and_processes_write_and_read_one_store_at_once() {
    const THREADS: usize = 3;
    const PROCESSES: usize = 2;
    for run in 0..runs() {
        let sandbox = sandbox_with_specs(THREADS + PROCESSES);
        let before: i64 = rusqlite::Connection::open(sandbox.db())
            .unwrap()
            .query_row("select count(*) from membership", [], |r| r.get(0))
            .unwrap();
        let done = AtomicBool::new(false);
        let reads = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..THREADS)
                .map(|i| {
                    let sandbox = &sandbox;
                    scope.spawn(move || build(sandbox, &format!("c{i}")))
                })
                .collect();
            let processes: Vec<_> = (THREADS..THREADS + PROCESSES)
                .map(|i| {
                    let sandbox = &sandbox;
                    scope.spawn(move || cli(sandbox, &["build", &format!("c{i}")]))
                })
                .collect();
            let readers: Vec<_> = (0..2)
                .map(|kind| {
                    let (sandbox, done) = (&sandbox, &done);
                    scope.spawn(move || {
                        let mut seen = Vec::new();
                        loop {
                            let finished = done.load(Ordering::SeqCst);
                            let sql = "select (select count(*) from membership), \
                                       (select count(*) from cohort_members where stage = 0) \
                                       + (select count(*) from cohort_members where stage <> 0)";
                            if kind == 0 {
                                // A reader process.
                                let out = cli(sandbox, &["query", sql, "--format", "csv"]);
                                assert_ok(&out, "query");
                                let text = String::from_utf8(out.stdout).unwrap();
                                let row = text.lines().nth(1).unwrap().to_string();
                                let (a, b) = row.split_once(',').unwrap();
                                seen.push((a.parse::<i64>().unwrap(), b.parse::<i64>().unwrap()));
                            } else {
                                // A reader thread of the library.
                                let store =
                                    cohortdb::store::Store::open_read_only(sandbox.db()).unwrap();
                                seen.push(
                                    store
                                        .conn()
                                        .query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?)))
                                        .unwrap(),
                                );
                            }
                            if finished {
                                break seen;
                            }
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap().unwrap();
            }
            for p in processes {
                assert_ok(&p.join().unwrap(), "build");
            }
            done.store(true, Ordering::SeqCst);
            readers
                .into_iter()
                .flat_map(|r| r.join().unwrap())
                .collect::<Vec<(i64, i64)>>()
        });
        let total = (THREADS + PROCESSES) as i64;
        for (all, parts) in &reads {
            assert_eq!(all, parts, "run {run}: one statement saw two states");
            let built = (all - before) / SPEC_MEMBERS;
            assert!(
                (all - before) % SPEC_MEMBERS == 0 && (0..=total).contains(&built),
                "run {run}: a torn count {all}"
            );
        }
        assert_eq!(integrity(&sandbox.db()), "ok", "run {run}");
        let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
        for i in 0..THREADS + PROCESSES {
            assert_eq!(members(&conn, &format!("c{i}")), SPEC_MEMBERS, "run {run}");
        }
    }
}

/// `setpriv` to run a command as `nobody`, when the tests run as root and have it.
fn as_nobody(test: &str) -> Option<PathBuf> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped {test}: needs root to run a reader as another user");
        return None;
    }
    let found = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("skipped {test}: no setpriv (util-linux)");
    }
    found
}

/// Makes the sandbox readable and the binary runnable by other users, as a shared store is:
/// folders 755, files 644.
fn share(sandbox: &Sandbox) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let root = sandbox.path("");
    let bin = root.join("cohortdb");
    std::fs::copy(assert_cmd::cargo::cargo_bin("cohortdb"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let mut p = sandbox.db().into_os_string();
        p.push(suffix);
        if Path::new(&p).exists() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    bin
}

/// Runs the shared binary as `nobody`: `cohortdb --db STORE args…`.
fn nobody(setpriv: &Path, bin: &Path, db: &Path, args: &[&str]) -> Output {
    std::process::Command::new(setpriv)
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(bin)
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("COHORTDB_DB")
        .env("NO_COLOR", "1")
        .current_dir("/")
        .output()
        .unwrap()
}

#[test]
fn a_reader_as_another_user_sees_whole_snapshots_while_the_owner_writes() {
    let Some(setpriv) = as_nobody("a_reader_as_another_user…") else {
        return;
    };
    const COHORTS: usize = 4;
    for run in 0..runs() {
        let sandbox = sandbox_with_specs(COHORTS);
        let bin = share(&sandbox);
        let db = sandbox.db();
        let before: i64 = cohortdb::store::Store::open_read_only(&db)
            .unwrap()
            .conn()
            .query_row("select count(*) from membership", [], |r| r.get(0))
            .unwrap();
        // The reader may not write the store, its -wal or -shm file, or the folder.
        let probe = nobody(
            &setpriv,
            &bin,
            &db,
            &["query", "select 1", "--format", "csv"],
        );
        assert_ok(&probe, "a reader as nobody");
        let done = AtomicBool::new(false);
        let seen = std::thread::scope(|scope| {
            let reader = scope.spawn(|| {
                let mut seen = Vec::new();
                loop {
                    let finished = done.load(Ordering::SeqCst);
                    let out = nobody(
                        &setpriv,
                        &bin,
                        &db,
                        &[
                            "query",
                            "select (select count(*) from membership), \
                             (select count(*) from cohort_members where stage = 1) \
                             + (select count(*) from cohort_members where stage <> 1)",
                            "--format",
                            "csv",
                        ],
                    );
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    assert!(
                        out.status.success(),
                        "run {run}: the reader failed while the owner wrote: {stderr}"
                    );
                    let text = String::from_utf8(out.stdout).unwrap();
                    let (a, b) = text.lines().nth(1).unwrap().split_once(',').unwrap();
                    seen.push((a.parse::<i64>().unwrap(), b.parse::<i64>().unwrap()));
                    if finished {
                        break seen;
                    }
                }
            });
            for i in 0..COHORTS {
                assert_ok(&cli(&sandbox, &["build", &format!("c{i}")]), "build");
            }
            done.store(true, Ordering::SeqCst);
            reader.join().unwrap()
        });
        let mut last = before;
        for &(all, parts) in &seen {
            assert_eq!(all, parts, "run {run}: one statement saw two states");
            assert!(
                (all - before) % SPEC_MEMBERS == 0 && all >= last,
                "run {run}: a torn or older count {all} after {last}"
            );
            last = all;
        }
        assert_eq!(last, before + COHORTS as i64 * SPEC_MEMBERS, "run {run}");
        assert_eq!(integrity(&db), "ok", "run {run}");
    }
}

#[test]
fn a_reader_as_another_user_is_refused_clearly_where_it_cannot_read_consistently() {
    let Some(setpriv) = as_nobody("a_reader_as_another_user_is_refused…") else {
        return;
    };
    let sandbox = Sandbox::baseline();
    let bin = share(&sandbox);
    let db = sandbox.db();
    let count = |out: &Output| {
        assert_ok(out, "a reader as nobody");
        String::from_utf8(out.stdout.clone()).unwrap()
    };
    let sql = ["query", "select count(*) from cohorts", "--format", "csv"];
    assert_eq!(count(&nobody(&setpriv, &bin, &db, &sql)), "count(*)\n1\n");

    // Another SQLite client that closes the store last removes its -wal and -shm files; a
    // reader that may not create them is then refused, with the way out — never a torn read,
    // never "damaged".
    let client = rusqlite::Connection::open(&db).unwrap();
    client
        .query_row("select count(*) from cohorts", [], |_| Ok(()))
        .unwrap();
    drop(client);
    assert!(!Path::new(&format!("{}-shm", db.display())).exists());
    let out = nobody(&setpriv, &bin, &db, &sql);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("has no -wal and -shm file") && stderr.contains("cohortdb init"),
        "{stderr}"
    );
    assert!(!stderr.contains("damaged"), "{stderr}");
    // Any command of the owner puts them back, to stay (readable like the store).
    sandbox.ok(&["cohorts"]);
    share(&sandbox);
    assert_eq!(count(&nobody(&setpriv, &bin, &db, &sql)), "count(*)\n1\n");

    // A -shm file the reader may not read.
    use std::os::unix::fs::PermissionsExt;
    let shm = PathBuf::from(format!("{}-shm", db.display()));
    std::fs::set_permissions(&shm, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = nobody(&setpriv, &bin, &db, &sql);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read its -shm file"), "{stderr}");
    std::fs::set_permissions(&shm, std::fs::Permissions::from_mode(0o644)).unwrap();

    // A backup is in rollback-journal mode: read with shared locks, no -wal or -shm needed.
    sandbox.ok(&["backup", "copy.db"]);
    let copy = sandbox.path("copy.db");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(count(&nobody(&setpriv, &bin, &copy, &sql)), "count(*)\n1\n");
    assert!(!sandbox.path("copy.db-wal").exists());
    // A writer that stopped mid-transaction left a hot journal: only its owner can roll it
    // back; the reader is told so.
    let mut journal = vec![0u8; 512];
    journal[..8].copy_from_slice(&[0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7]);
    std::fs::write(sandbox.path("copy.db-journal"), &journal).unwrap();
    std::fs::set_permissions(
        sandbox.path("copy.db-journal"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = nobody(&setpriv, &bin, &copy, &sql);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("-journal"), "{stderr}");
    assert!(!stderr.contains("damaged"), "{stderr}");
}
