//! Many writers on one team store (docs/postgres.md, "Writes"): real `cohortdb` processes
//! importing, building and exporting against one server at once — two builds racing for one
//! cohort id with different content, two whose gen_ids collide with different values (D2),
//! builds that share gen_ids, importers and exporters — twenty rounds, each on a fresh
//! database. Afterwards the ids are unique, exactly one of each conflicting pair committed and
//! the other got a clear error, every cohort verifies, and nothing hung (a deadlock would leave
//! processes running; they are waited for, then killed and reported).
//!
//! And a client killed at its commit leaves nothing on the server.

#![cfg(feature = "postgres")]

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::Sandbox;
use support::pg::PgDb;

/// How long one round's processes may take before they are taken for hung. Not a timing
/// assertion: a round takes seconds; this only keeps a deadlock from hanging the suite.
const HUNG: Duration = Duration::from_secs(600);

const ROUNDS: usize = 20;

fn spec(s: &Sandbox, name: &str, text: &str) {
    s.write(&format!("specs/{name}/config.yaml"), text);
    s.write(
        &format!("specs/{name}/items/essays.csv"),
        s.read("data/cohorts/alpha/spec/items/essays.csv"),
    );
}

/// The fixture spec with `from` replaced by `to`.
fn variant(s: &Sandbox, from: &str, to: &str) -> String {
    let text = s.read("data/cohorts/alpha/spec/config.yaml");
    assert!(text.contains(from), "{from}");
    text.replace(from, to)
}

fn cohortdb(s: &Sandbox, db: &str, mirror: &Path, args: &[&str]) -> Command {
    let mut cmd = s.std_cmd();
    cmd.env("COHORTDB_DB", db)
        .env("COHORTDB_MIRROR_DIR", mirror)
        .args(["--quiet"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

struct Outcome {
    name: &'static str,
    code: Option<i32>,
    stderr: String,
}

fn wait_all(children: Vec<(&'static str, Child)>) -> Vec<Outcome> {
    let start = Instant::now();
    let mut pending: Vec<(&'static str, Child)> = children;
    let mut done = Vec::new();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (name, mut child) in pending {
            match child.try_wait().expect("wait") {
                Some(_) => {
                    let out = child.wait_with_output().expect("output");
                    done.push(Outcome {
                        name,
                        code: out.status.code(),
                        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                    });
                }
                None => still.push((name, child)),
            }
        }
        pending = still;
        if !pending.is_empty() && start.elapsed() > HUNG {
            let names: Vec<&str> = pending.iter().map(|(n, _)| *n).collect();
            for (_, mut child) in pending {
                let _ = child.kill();
            }
            panic!("processes still running after {HUNG:?} (a deadlock?): {names:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done
}

fn outcome<'a>(outcomes: &'a [Outcome], name: &str) -> &'a Outcome {
    outcomes.iter().find(|o| o.name == name).expect(name)
}

#[test]
fn eight_and_more_writers_keep_ids_unique_and_the_registry_consistent() {
    for round in 0..ROUNDS {
        let Some(db) = PgDb::create(&format!("conc{round}")) else {
            return;
        };
        let s = Sandbox::new();
        let shared = s.path("mirror-shared");
        let own = |n: &str| s.path(&format!("mirror-{n}"));
        spec(
            &s,
            "race_a",
            &variant(&s, "draft_replicate: ['1', '2']", "draft_replicate: ['1']"),
        );
        spec(
            &s,
            "race_b",
            &variant(&s, "draft_replicate: ['1', '2']", "draft_replicate: ['2']"),
        );
        // Drafts of replicate 3 are new to the store; their essay-X essays get the same gen_ids
        // whatever the essay LLM (the essay id does not include it), so these two collide.
        let fresh_drafts = variant(&s, "draft_replicate: ['1', '2']", "draft_replicate: ['3']");
        spec(&s, "clash_a", &fresh_drafts);
        spec(&s, "clash_b", &fresh_drafts);
        s.write(
            "specs/clash_b/items/essays.csv",
            "essay_template,essay_llm\nessay-X,gen-b\n",
        );
        spec(
            &s,
            "share",
            &variant(
                &s,
                "evaluation_replicate: [1]",
                "evaluation_replicate: [1, 2]",
            ),
        );
        s.write(
            "more_llms.csv",
            "id,model,provider,display_name,specialization\nextra-1,m,p,Extra,general\n",
        );
        // The base: catalogs and one cohort to export, before the race.
        for args in [
            &["import"][..],
            &["build", "base", "--spec", "data/cohorts/alpha/spec"],
        ] {
            let out = cohortdb(&s, &db.url, &shared, args).output().unwrap();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let jobs: Vec<(&'static str, Vec<&str>, std::path::PathBuf)> = vec![
            (
                "race_a",
                vec!["build", "race", "--spec", "specs/race_a"],
                own("1"),
            ),
            (
                "race_b",
                vec!["build", "race", "--spec", "specs/race_b"],
                own("2"),
            ),
            (
                "clash_a",
                vec!["build", "clash_a", "--spec", "specs/clash_a"],
                own("3"),
            ),
            (
                "clash_b",
                vec!["build", "clash_b", "--spec", "specs/clash_b"],
                shared.clone(),
            ),
            (
                "share_a",
                vec!["build", "share_a", "--spec", "specs/share"],
                own("4"),
            ),
            (
                "share_b",
                vec!["build", "share_b", "--spec", "specs/share"],
                shared.clone(),
            ),
            ("import_a", vec!["import"], own("5")),
            (
                "import_b",
                vec!["import", "llm_models", "more_llms.csv"],
                shared.clone(),
            ),
            (
                "export_a",
                vec!["export", "base", "--out", "out_a", "--gens-root", "gens_a"],
                own("6"),
            ),
            (
                "export_b",
                vec!["export", "base", "--out", "out_b", "--gens-root", "gens_b"],
                shared.clone(),
            ),
        ];
        let children: Vec<(&'static str, Child)> = jobs
            .iter()
            .map(|(name, args, mirror)| {
                (*name, cohortdb(&s, &db.url, mirror, args).spawn().unwrap())
            })
            .collect();
        let outcomes = wait_all(children);
        let ok = |name: &str| outcome(&outcomes, name).code == Some(0);
        let context =
            |name: &str| format!("round {round} {name}: {}", outcome(&outcomes, name).stderr);

        // Two builds of one id with different content: exactly one stored, the other refused
        // with D14's message (or, when it lost before computing, told what changed).
        assert!(
            ok("race_a") ^ ok("race_b"),
            "{}\n{}",
            context("race_a"),
            context("race_b")
        );
        let loser = if ok("race_a") { "race_b" } else { "race_a" };
        assert_eq!(
            outcome(&outcomes, loser).code,
            Some(2),
            "{}",
            context(loser)
        );
        assert!(
            outcome(&outcomes, loser).stderr.contains("race"),
            "{}",
            context(loser)
        );
        // Same gen_ids, other essay LLM: one commits, the other is refused (D2 across cohorts).
        assert!(
            ok("clash_a") ^ ok("clash_b"),
            "{}\n{}",
            context("clash_a"),
            context("clash_b")
        );
        let loser = if ok("clash_a") { "clash_b" } else { "clash_a" };
        assert!(
            outcome(&outcomes, loser)
                .stderr
                .contains("reuse gen_ids that earlier cohorts issued"),
            "{}",
            context(loser)
        );
        // The same members under two ids share their gen_ids: both commit.
        for name in [
            "share_a", "share_b", "import_a", "import_b", "export_a", "export_b",
        ] {
            assert!(ok(name), "{}", context(name));
        }
        assert_eq!(
            s.read("out_a/membership.csv"),
            s.read("out_b/membership.csv")
        );

        // Every stored cohort verifies on a fresh mirror; the registry holds each gen_id once.
        let fresh = s.path("mirror-check");
        let listed = cohortdb(
            &s,
            &db.url,
            &fresh,
            &[
                "query",
                "select cohort_id from cohorts order by cohort_id",
                "--format",
                "csv",
            ],
        )
        .output()
        .unwrap();
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        let ids: Vec<&str> = listed.lines().skip(1).collect();
        assert_eq!(ids.len(), 5, "round {round}: {listed}");
        for id in ids {
            let out = cohortdb(&s, &db.url, &fresh, &["verify", id, "--store-only"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "round {round} verify {id}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut client = db.client();
        let unregistered: i64 = client
            .query_one(
                "select count(*) from cohort_members m where not exists (select 1 from gen_ids g where g.gen_id = m.gen_id)",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(unregistered, 0, "round {round}");
        let orphans: i64 = client
            .query_one(
                "select count(*) from cohort_members m where not exists (select 1 from cohort_records r where r.cohort_no = m.cohort_no)",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(orphans, 0, "round {round}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "crash-hook"),
    ignore = "needs the test-only crash hook: cargo test --features crash-hook"
)]
fn a_client_killed_at_its_commit_leaves_nothing_on_the_server() {
    let Some(db) = PgDb::create("kill") else {
        return;
    };
    let s = Sandbox::new();
    let mirror = s.path("mirror");
    let out = cohortdb(&s, &db.url, &mirror, &["import"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut client = db.client();
    let count = |client: &mut postgres::Client, table: &str| -> i64 {
        client
            .query_one(&format!("select count(*) from {table}"), &[])
            .unwrap()
            .get(0)
    };
    // Every table a record spans, and its rows whose record row is missing (a partial record).
    let partial = |client: &mut postgres::Client| -> Vec<(&str, i64)> {
        ["cohort_members", "cohort_values", "cohort_spec_files", "cohort_template_modes", "gen_ids", "cohort_reuse"]
            .into_iter()
            .map(|table| {
                let n: i64 = client
                    .query_one(
                        &format!("select count(*) from {table} t where not exists (select 1 from cohort_records r where r.cohort_no = t.cohort_no)"),
                        &[],
                    )
                    .unwrap()
                    .get(0);
                (table, n)
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    };
    let mut before_commit = 0;
    for n in 1..50 {
        let out = cohortdb(&s, &db.url, &mirror, &["build", "alpha"])
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
        // Killed before the server's commit: nothing; after it: the whole record.
        assert_eq!(partial(&mut client), [], "crash at write {n}");
        if count(&mut client, "cohort_records") == 0 {
            before_commit += 1;
        }
    }
    assert!(
        before_commit > 0,
        "the crash hook fired before the server's commit"
    );
    assert_eq!(
        count(&mut client, "cohort_records"),
        1,
        "the build after the crashes stored it"
    );
    let out = cohortdb(
        &s,
        &db.url,
        &s.path("fresh"),
        &["verify", "alpha", "--store-only"],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
