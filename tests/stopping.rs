//! Stopping `query` (docs/reliability.md, "Stopping"): a closed pipe ends an endless statement
//! at once; Ctrl-C stops it even while it waits on stdin or on a full pipe (exit 130); an
//! absurd `--timeout` is no deadline, not a panic; `--format table` holds a bounded sample of
//! wide rows. On a team store Ctrl-C cancels the server's statement too (an import waiting for
//! the write lock, a long query): the command stops at once and nothing stays running there.

#![cfg(unix)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::Sandbox;

/// Far longer than any of these commands needs; a command still running then hangs.
const DEADLINE: Duration = Duration::from_secs(20);

const ENDLESS: &str =
    "with recursive n(i) as (select 1 union all select i + 1 from n) select i from n";

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("cohortdb")
}

/// Waits for `child`, killing it and failing past [`DEADLINE`].
fn wait(mut child: std::process::Child, what: &str) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > DEADLINE {
            child.kill().ok();
            child.wait().ok();
            panic!("{what}: still running after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_endless_query_piped_into_head_ends_with_it() {
    let s = Sandbox::baseline();
    let line = format!(
        "'{}' query \"{ENDLESS}\" --format csv | head -1",
        bin().display()
    );
    let child = Command::new("sh")
        .args(["-c", &line])
        .current_dir(s.path(""))
        .env("COHORTDB_DB", s.db())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let output = {
        let status = wait(child, "query | head -1");
        assert!(status.success(), "{status:?}");
        status
    };
    assert!(output.success());
    // The pipeline's status is head's; cohortdb's own is 0 too (tests/trust.rs checks it with
    // a closed pipe).
}

fn send_sigint(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn ctrl_c_stops_a_query_waiting_for_its_sql_on_stdin() {
    let s = Sandbox::baseline();
    let child = s
        .std_cmd()
        .args(["query", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    send_sigint(child.id());
    let status = wait(child, "query - waiting on stdin");
    assert_eq!(status.code(), Some(130), "{status:?}");
}

#[test]
fn ctrl_c_stops_a_query_blocked_on_a_full_pipe() {
    let s = Sandbox::baseline();
    let (reader, writer) = std::io::pipe().unwrap();
    let child = s
        .std_cmd()
        .args(["query", ENDLESS, "--format", "csv"])
        .stdout(writer)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Nobody reads: the pipe fills and the command blocks writing.
    std::thread::sleep(Duration::from_millis(500));
    send_sigint(child.id());
    let status = wait(child, "query blocked on a full pipe");
    drop(reader);
    assert_eq!(status.code(), Some(130), "{status:?}");
}

#[test]
fn ctrl_c_stops_a_long_statement() {
    let s = Sandbox::baseline();
    let child = s
        .std_cmd()
        .args(["query", &format!("select count(*) from ({ENDLESS})")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    send_sigint(child.id());
    let out = wait(child, "a long statement");
    assert_eq!(out.code(), Some(130), "{out:?}");
}

#[test]
fn an_absurd_timeout_is_no_deadline() {
    let s = Sandbox::baseline();
    let out = s.run(&[
        "query",
        "select 1 as one",
        "--timeout",
        "9223372036854775807s",
        "--format",
        "csv",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\n1\n");
}

#[test]
fn a_table_of_wide_rows_holds_a_bounded_sample() {
    let s = Sandbox::baseline();
    // 300 rows of 1 MB: a sample of 1,000 rows would hold all 300 MB before printing; a sample
    // bounded in bytes prints as it goes.
    let sql = "with recursive n(i) as (select 1 union all select i + 1 from n where i < 300) \
               select i, printf('%.*c', 1000000, 'x') as wide from n";
    let peak = support::peak_kib(&s, &["query", sql, "--format", "table"]);
    assert!(peak < 100 * 1024, "peak {} MiB", peak / 1024);
}

/// The store's write lock (docs/postgres.md, "Writes": `cohortdb` in ASCII).
#[cfg(feature = "postgres")]
const WRITE_LOCK_KEY: i64 = 0x636f_686f_7274_6462;

/// The backends of `db` that cohortdb opened (its `application_name`) and that are still
/// running or waiting: `(state, wait_event_type, query)`.
#[cfg(feature = "postgres")]
fn cohortdb_backends(db: &support::pg::PgDb, watcher: &mut postgres::Client) -> Vec<String> {
    watcher
        .query(
            "select coalesce(state, '') || ' ' || coalesce(wait_event_type, '') || ' ' || query \
             from pg_stat_activity where datname = $1 and application_name = 'cohortdb' \
             and state <> 'idle'",
            &[&db.name()],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Waits until `ready` holds (a backend shows up), failing past [`DEADLINE`].
#[cfg(feature = "postgres")]
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(
            started.elapsed() < DEADLINE,
            "{what}: not after {DEADLINE:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A team store whose write lock another writer holds: the import waits on the server. Ctrl-C
/// stops it there (the server is sent a cancel request, so the wait ends at once and nothing
/// stays waiting on the server after the process is gone), status 130, nothing imported.
#[cfg(feature = "postgres")]
#[test]
fn ctrl_c_stops_a_team_import_waiting_on_the_server() {
    let Some(db) = support::pg::PgDb::create("stop_import") else {
        return;
    };
    let s = Sandbox::baseline();
    let run = |args: &[&str]| {
        let mut cmd = s.std_cmd();
        cmd.env("COHORTDB_DB", &db.url)
            .env("COHORTDB_MIRROR_DIR", s.path("mirrors"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    };
    assert!(run(&["init"]).status().unwrap().success());
    let mut holder = db.client();
    holder
        .execute("select pg_advisory_lock($1)", &[&WRITE_LOCK_KEY])
        .unwrap();
    let mut watcher = db.client();
    let child = run(&["import"]).spawn().unwrap();
    wait_until("the import waiting for the write lock", || {
        cohortdb_backends(&db, &mut watcher)
            .iter()
            .any(|b| b.contains("pg_advisory_xact_lock"))
    });
    send_sigint(child.id());
    let out = wait(child, "a team import waiting on the server");
    assert_eq!(out.code(), Some(130), "{out:?}");
    // The server's side ended too, while the lock is still held: nothing waits for it.
    wait_until("the server's side of the import to end", || {
        cohortdb_backends(&db, &mut watcher).is_empty()
    });
    holder
        .execute("select pg_advisory_unlock($1)", &[&WRITE_LOCK_KEY])
        .unwrap();
    let batches: i64 = watcher
        .query_one("select count(*) from import_batches", &[])
        .unwrap()
        .get(0);
    assert_eq!(batches, 0);
}

/// A long statement on a team store's server: Ctrl-C cancels it there at once (not at the
/// statement timeout), status 130.
#[cfg(feature = "postgres")]
#[test]
fn ctrl_c_cancels_a_long_query_on_the_server() {
    let Some(db) = support::pg::PgDb::create("stop_query") else {
        return;
    };
    let s = Sandbox::baseline();
    let run = |args: &[&str]| {
        let mut cmd = s.std_cmd();
        cmd.env("COHORTDB_DB", &db.url)
            .env("COHORTDB_MIRROR_DIR", s.path("mirrors"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    };
    assert!(run(&["init"]).status().unwrap().success());
    let mut watcher = db.client();
    let child = run(&[
        "query",
        "select count(*) from (select pg_sleep(3600)) as s",
        "--timeout",
        "1h",
    ])
    .spawn()
    .unwrap();
    wait_until("the query running on the server", || {
        cohortdb_backends(&db, &mut watcher)
            .iter()
            .any(|b| b.contains("pg_sleep"))
    });
    send_sigint(child.id());
    let out = wait(child, "a long query on the server");
    assert_eq!(out.code(), Some(130), "{out:?}");
    wait_until("the statement to end on the server", || {
        cohortdb_backends(&db, &mut watcher).is_empty()
    });
}
