//! The results ledger on a team store (docs/postgres.md, "The results ledger"; D28): `import
//! gens` publishes its import to the server, every mirror's sync brings the ledger down, and
//! `scores`, `results progress`, `results verify`, `status` and the views give what they give
//! on an SQLite store — through the real binary, against a PostgreSQL database of each test's
//! own.

#![cfg(feature = "postgres")]

mod support;

use std::process::{Command, Stdio};

use support::pg::PgDb;
use support::{Sandbox, copy_tree, fixtures};

/// One client: a sandbox (its data root) and the mirror folder it uses on the team store.
struct Client<'a> {
    s: &'a Sandbox,
    db: String,
    mirrors: String,
}

impl Client<'_> {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.s.std_cmd();
        cmd.env("COHORTDB_DB", &self.db)
            .env("COHORTDB_MIRROR_DIR", self.s.path(&self.mirrors))
            .args(args);
        cmd
    }

    /// Runs, asserts the exit code, returns stdout with the sandbox's folder replaced.
    fn code(&self, code: i32, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?} on {}:\n{}{}",
            self.db,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        self.shown(out.stdout)
    }

    /// Output with the sandbox's folder replaced.
    fn shown(&self, stdout: Vec<u8>) -> String {
        let text = String::from_utf8(stdout).unwrap();
        let dir = std::fs::canonicalize(self.s.path("")).unwrap();
        text.replace(dir.display().to_string().trim_end_matches('/'), "<sandbox>")
    }

    fn ok(&self, args: &[&str]) -> String {
        self.code(0, args)
    }

    /// Runs a report command that exits 0 or 1 by its verdict; the code and stdout.
    fn verdict(&self, args: &[&str]) -> (Option<i32>, String) {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), self.shown(out.stdout))
    }

    fn query(&self, sql: &str) -> String {
        self.ok(&["query", sql, "--format", "csv"])
    }
}

fn sqlite(s: &Sandbox) -> Client<'_> {
    Client {
        s,
        db: s.db().display().to_string(),
        mirrors: "mirrors".into(),
    }
}

fn team<'a>(s: &'a Sandbox, db: &PgDb, mirrors: &str) -> Client<'a> {
    Client {
        s,
        db: db.url.clone(),
        mirrors: mirrors.into(),
    }
}

/// Every file below `dir`, relative, with its bytes (the sandbox's folder replaced).
fn reports(s: &Sandbox, dir: &str) -> Vec<(String, String)> {
    let root = s.path(dir);
    let sandbox = std::fs::canonicalize(s.path("")).unwrap();
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = std::fs::read_to_string(&p).unwrap().replace(
                    sandbox.display().to_string().trim_end_matches('/'),
                    "<sandbox>",
                );
                out.push((p.strip_prefix(&root).unwrap().display().to_string(), text));
            }
        }
    }
    out.sort();
    out
}

/// `--json` output without the fields that name times or the store.
fn json(text: &str) -> serde_json::Value {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| !k.ends_with("_at") && k != "store");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"));
    strip(&mut value);
    value
}

/// The mirror file in the mirror folder `dir`.
fn mirror_file(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "db"))
        .unwrap()
}

/// Waits until the files just written are no longer "racy" (docs/storage.md), so an import's
/// observations vouch for them and a second import has nothing to read.
fn leave_the_racy_window() {
    std::thread::sleep(std::time::Duration::from_millis(2100));
}

#[test]
fn the_results_fixture_gives_the_same_reports_and_scores_files_on_both_engines() {
    let Some(db) = PgDb::create("results_same") else {
        return;
    };
    let (a, b) = (Sandbox::empty(), Sandbox::empty());
    for s in [&a, &b] {
        copy_tree(&fixtures().join("results/quirks"), &s.path("data"));
    }
    leave_the_racy_window();
    let (sq, pg) = (sqlite(&a), team(&b, &db, "mirrors"));
    for args in [
        &["import", "gens", "--json"][..],
        &["import", "gens", "--json"],
        &["scores", "quirks", "--format", "json"],
        &["results", "verify", "--json"],
    ] {
        assert_eq!(
            json(&sq.ok(args)),
            json(&pg.ok(args)),
            "{args:?} differs between the engines"
        );
    }
    let wrote = |c: &Client<'_>| {
        let text = c.ok(&["scores", "quirks"]);
        text.split_once('\n').map(|(_, rest)| rest.to_string())
    };
    assert_eq!(wrote(&sq), wrote(&pg));
    let files = reports(&a, "data/cohorts/quirks/reports");
    assert_eq!(files.len(), 5, "{files:?}");
    assert_eq!(files, reports(&b, "data/cohorts/quirks/reports"));
    // The server holds the ledger (query runs there), row for row as the SQLite file.
    for sql in [
        "select stage, gen_id, version, folder, has_parsed, score, score_text, score_error, \
         refusal, eval_template_kind, eval_template_f from results_generations \
         order by stage, gen_id, version",
        "select stage, gen_id, version, name, kind, size, blake3 from results_files \
         order by stage, gen_id, version, name",
    ] {
        assert_eq!(sq.query(sql), pg.query(sql), "{sql}");
    }
    // An edit is a new version on both.
    for s in [&a, &b] {
        s.write("data/gens/evaluation/v8/parsed.txt", b"reasoning\n3");
    }
    assert_eq!(
        json(&sq.ok(&["import", "gens", "--json"])),
        json(&pg.ok(&["import", "gens", "--json"]))
    );
    let sql = "select gen_id, version, score from results_generations where gen_id = 'v8' \
               order by version";
    assert_eq!(sq.query(sql), pg.query(sql));
    assert!(pg.query(sql).contains("2,3.0"), "{}", pg.query(sql));
}

#[test]
fn progress_status_and_the_views_of_a_stored_cohort_are_the_same_on_both_engines() {
    let Some(db) = PgDb::create("results_progress") else {
        return;
    };
    let (a, b) = (Sandbox::new(), Sandbox::new());
    let (sq, pg) = (sqlite(&a), team(&b, &db, "mirrors"));
    for c in [&sq, &pg] {
        c.ok(&["import"]);
        c.ok(&["build", "alpha"]);
    }
    let members = sq.query(
        "select stage, gen_id from membership where cohort_id = 'alpha' and stage <> 'essay' \
         order by ordinal",
    );
    let mut evaluations = 0;
    for line in members.lines().skip(1) {
        let (stage, gen_id) = line.split_once(',').unwrap();
        for s in [&a, &b] {
            s.write(&format!("data/gens/{stage}/{gen_id}/prompt.txt"), "p");
            if stage == "draft" || evaluations < 2 {
                s.write(&format!("data/gens/{stage}/{gen_id}/parsed.txt"), "7");
            }
        }
        if stage == "evaluation" {
            evaluations += 1;
        }
    }
    for c in [&sq, &pg] {
        c.ok(&["import", "gens"]);
    }
    for args in [
        &["status", "alpha", "--missing", "--json"][..],
        &["results", "progress", "alpha", "--missing", "--json"],
        &["scores", "alpha", "--format", "json"],
    ] {
        let (left, right) = (sq.verdict(args), pg.verdict(args));
        assert_eq!(left.0, right.0, "{args:?}");
        assert_eq!(
            json(&left.1),
            json(&right.1),
            "{args:?} differs between the engines"
        );
    }
    for sql in [
        "select * from cohort_progress order by cohort_id, stage",
        "select cohort_id, ordinal, gen_id, parent_gen_id, evaluation_template, score, error, \
         evaluation_response_path, combo_id, generation_template, generation_model, score_text \
         from evaluation_scores order by cohort_id, ordinal",
    ] {
        let rows = pg.query(sql);
        assert_eq!(sq.query(sql), rows, "{sql}");
        assert!(rows.lines().count() > 2, "{rows}");
    }
}

#[test]
fn two_machines_see_each_others_imports() {
    let Some(db) = PgDb::create("results_machines") else {
        return;
    };
    // One data root, two clients with mirrors of their own (two machines on a shared folder).
    let s = Sandbox::empty();
    copy_tree(&fixtures().join("results/quirks"), &s.path("data"));
    let (one, two) = (team(&s, &db, "mirror-one"), team(&s, &db, "mirror-two"));
    one.ok(&["init"]);
    two.ok(&["init"]);
    let out = one.ok(&["import", "gens"]);
    assert!(out.contains("import 1: 12 new"), "{out}");
    // The second machine's mirror brings the ledger down before it reads.
    let scores = two.ok(&["scores", "quirks", "--format", "csv"]);
    assert_eq!(scores.lines().count(), 10, "{scores}");
    assert_eq!(one.ok(&["scores", "quirks", "--format", "csv"]), scores);
    assert!(two.ok(&["results", "verify"]).contains(": ok"));
    // The second machine's import sees the first's: only the edit is new, as version 2.
    s.write("data/gens/evaluation/v8/parsed.txt", b"reasoning\n3");
    let out = two.ok(&["import", "gens"]);
    assert!(out.contains("import 2: 0 new, 1 changed"), "{out}");
    let v8 = "select gen_id, version, score from generations where gen_id = 'v8'";
    assert_eq!(one.query(v8), "gen_id,version,score\nv8,2,3.0\n");
    // The first machine's mirror, synced by a reading command, holds the same ledger.
    let mirror = |dir: &str| {
        let conn = rusqlite::Connection::open(mirror_file(&s.path(dir))).unwrap();
        let mut stmt = conn
            .prepare(
                "select stage || '/' || gen_id || '/' || version || '/' || import_id \
                 from results_generations order by 1",
            )
            .unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    };
    one.ok(&["scores", "quirks", "--format", "csv"]);
    assert_eq!(mirror("mirror-one"), mirror("mirror-two"));
    assert_eq!(mirror("mirror-one").len(), 13);
    // An edited output is reported by either machine.
    s.write("data/gens/evaluation/v7/parsed.txt", b"reasoning\n-1");
    let out = one.code(1, &["results", "verify"]);
    assert!(out.contains("evaluation/v7/parsed.txt"), "{out}");
}

#[test]
fn concurrent_imports_from_several_processes_stay_consistent() {
    let Some(db) = PgDb::create("results_concurrent") else {
        return;
    };
    // Four trees that differ in one score, each imported by its own process and mirror at
    // once: every import is published whole, in some order, each numbering its version after
    // the ones before it.
    const N: usize = 4;
    let s = Sandbox::empty();
    copy_tree(&fixtures().join("results/quirks"), &s.path("data"));
    for k in 0..N {
        copy_tree(
            &fixtures().join("results/quirks/gens"),
            &s.path(&format!("gens{k}")),
        );
        s.write(
            &format!("gens{k}/evaluation/v8/parsed.txt"),
            format!("reasoning\n{k}"),
        );
    }
    let first = team(&s, &db, "mirror-init");
    first.ok(&["init"]);
    let children: Vec<_> = (0..N)
        .map(|k| {
            let client = team(&s, &db, &format!("mirror{k}"));
            client
                .cmd(&[
                    "--quiet",
                    "import",
                    "gens",
                    "--gens-root",
                    &format!("gens{k}"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let q = |sql: &str| first.query(sql);
    assert_eq!(
        q("select count(*) as n, min(import_id) as lo, max(import_id) as hi from results_imports"),
        format!("n,lo,hi\n{N},1,{N}\n")
    );
    // v8: one version per import, numbered 1..N, the first N-1 superseded; every other
    // generation a single version (the trees agree on it).
    assert_eq!(
        q(
            "select count(*) as n, min(version) as lo, max(version) as hi from results_generations \
           where gen_id = 'v8'"
        ),
        format!("n,lo,hi\n{N},1,{N}\n")
    );
    assert_eq!(
        q("select count(*) as n from results_superseded"),
        format!("n\n{}\n", N - 1)
    );
    assert_eq!(q("select count(*) as n from generations"), "n\n12\n");
    assert_eq!(
        q("select count(*) as n from results_generations"),
        format!("n\n{}\n", 11 + N)
    );
    // The current v8 is the last import's tree; every mirror syncs to the same ledger.
    let last = q("select gens_root from results_imports order by import_id desc limit 1");
    let k = last.trim_end().chars().last().unwrap();
    assert_eq!(
        q("select score from generations where gen_id = 'v8'"),
        format!("score\n{k}.0\n")
    );
    for m in 0..N {
        let client = team(&s, &db, &format!("mirror{m}"));
        assert_eq!(
            client
                .ok(&[
                    "scores",
                    "quirks",
                    "--format",
                    "csv",
                    "--gens-root",
                    &format!("gens{k}")
                ])
                .lines()
                .count(),
            10
        );
    }
}

#[test]
fn a_results_import_the_server_holds_incompletely_is_refused_by_the_sync() {
    let Some(db) = PgDb::create("results_tamper") else {
        return;
    };
    let s = Sandbox::empty();
    copy_tree(&fixtures().join("results/quirks"), &s.path("data"));
    let one = team(&s, &db, "mirror-one");
    one.ok(&["import", "gens"]);
    // Someone with the server's credentials adds an import that claims a version it lacks.
    let (ok, out) = db.psql(
        "insert into results_imports values (2, '/elsewhere', '2026-01-01T00:00:00Z', 1, 0, 1)",
    );
    assert!(ok, "{out}");
    let two = team(&s, &db, "mirror-two");
    let out = two.cmd(&["results", "verify"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("results import 2 says it added 1 generation versions; the server holds 0"),
        "{err}"
    );
    // Nothing of it reached the mirror: the first machine's import is not there either.
    let conn = rusqlite::Connection::open(mirror_file(&s.path("mirror-two"))).unwrap();
    let held: i64 = conn
        .query_row("select count(*) from results_imports", [], |r| r.get(0))
        .unwrap();
    assert_eq!(held, 0);
}

/// A client killed anywhere in `import gens` (each commit in turn, and the publish with every
/// row sent but not committed) leaves the server with the whole import or none of it; the
/// next import completes it. (`cargo test --features crash-hook`, as `.ci/run` does.)
#[cfg(feature = "crash-hook")]
#[test]
fn a_client_killed_during_import_gens_leaves_the_whole_import_or_nothing() {
    let Some(db) = PgDb::create("results_crash") else {
        return;
    };
    let s = Sandbox::empty();
    copy_tree(&fixtures().join("results/quirks"), &s.path("data"));
    let client = team(&s, &db, "mirrors");
    client.ok(&["init"]);
    let held = || {
        client.query(
            "select (select count(*) from results_imports) as imports, \
             (select count(*) from results_generations) as versions, \
             (select count(*) from results_files) as files",
        )
    };
    let mut killed = 0;
    for n in 1..20 {
        let out = client
            .cmd(&["import", "gens"])
            .env("COHORTDB_CRASH_AT_WRITE", n.to_string())
            .output()
            .unwrap();
        if out.status.success() {
            break;
        }
        assert_eq!(
            out.status.code(),
            None,
            "killed, not refused: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        killed += 1;
        let now = held();
        assert!(
            now == "imports,versions,files\n0,0,0\n" || now == "imports,versions,files\n1,12,24\n",
            "crash at write {n}: {now}"
        );
    }
    assert!(killed > 0, "the crash hook fired");
    client.ok(&["import", "gens"]);
    assert_eq!(held(), "imports,versions,files\n1,12,24\n");
}
