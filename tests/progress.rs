//! Progress on stderr: shown on a terminal (a pseudo-terminal made by util-linux `script`),
//! never in a pipe and never with `-q`.

mod support;

use support::Sandbox;

/// Runs `cohortdb args…` with stdin, stdout and stderr on a pseudo-terminal; returns the
/// terminal's transcript.
#[cfg(target_os = "linux")]
fn on_a_terminal(s: &Sandbox, args: &[&str]) -> String {
    let bin = assert_cmd::cargo::cargo_bin("cohortdb");
    let line = std::iter::once(bin.display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(s.path(""))
        .env("COHORTDB_DB", s.db())
        .env("COHORTDB_DATA_ROOT", s.path("data"))
        .env("TERM", "xterm")
        .output()
        .expect("util-linux `script` runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[cfg(target_os = "linux")]
#[test]
fn long_commands_show_progress_on_a_terminal() {
    let s = Sandbox::new();
    s.ok(&["import", "-q"]);
    let build = on_a_terminal(&s, &["build", "alpha"]);
    assert!(build.contains("building alpha ("), "{build:?}");
    let export = on_a_terminal(&s, &["export", "alpha"]);
    assert!(export.contains("exporting alpha: checking ("), "{export:?}");
    let verify = on_a_terminal(&s, &["verify", "alpha"]);
    assert!(verify.contains("verifying alpha ("), "{verify:?}");
    let compile = on_a_terminal(
        &s,
        &["compile", "data/cohorts/alpha/spec", "--out", "rows.csv"],
    );
    assert!(
        compile.contains("compiling 16 rows to rows.csv ("),
        "{compile:?}"
    );
    // -q: no progress, even on a terminal.
    let quiet = on_a_terminal(&s, &["verify", "alpha", "-q"]);
    assert!(!quiet.contains("verifying alpha"), "{quiet:?}");
}

#[test]
fn no_progress_when_stderr_is_not_a_terminal() {
    let s = Sandbox::new();
    s.ok(&["import", "-q"]);
    for args in [
        &["build", "alpha"][..],
        &["export", "alpha"],
        &["verify", "alpha"],
        &["compile", "data/cohorts/alpha/spec", "--out", "rows.csv"],
    ] {
        let out = s.run(args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Off a terminal, every long command writes its progress lines to stderr (one per
/// `--progress-every` seconds; with 0, one as each step starts and ends, which makes the lines
/// independent of timing), and stdout stays the report alone.
#[test]
fn every_long_command_logs_progress_off_a_terminal() {
    let s = Sandbox::new();
    let logged = |args: &[&str], expected: &[&str]| {
        let out = s
            .cmd()
            .args(args)
            .env("COHORTDB_PROGRESS_EVERY", "0")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in expected {
            assert!(stderr.contains(line), "{args:?}: {line:?} in {stderr}");
        }
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("cohortdb: "),
            "{args:?}: progress stays on stderr"
        );
    };
    logged(
        &["import"],
        &[
            "cohortdb: importing concepts: working, ",
            "cohortdb: importing concepts: done in ",
        ],
    );
    logged(
        &["build", "alpha"],
        &[
            "cohortdb: building alpha: working, ",
            "cohortdb: building alpha: done in ",
        ],
    );
    logged(
        &["export", "alpha"],
        &["cohortdb: exporting alpha: metadata.json: done in "],
    );
    logged(
        &["verify", "alpha"],
        &["cohortdb: verifying alpha: done in "],
    );
    logged(
        &["import", "gens"],
        &["cohortdb: importing ", "gens: done in "],
    );
    #[cfg(feature = "postgres")]
    {
        logged(
            &["push", "alpha", "--to", "copy.db"],
            &["cohortdb: copying 1 cohort from ", " to copy.db: done in "],
        );
        logged(
            &["pull", "alpha", "--from", "copy.db"],
            &["cohortdb: copying 1 cohort from copy.db to "],
        );
    }
    // A quiet run logs nothing; an interval that is not a number is a usage error.
    let quiet = s
        .cmd()
        .args(["verify", "alpha", "-q"])
        .env("COHORTDB_PROGRESS_EVERY", "0")
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty());
    let bad = s
        .cmd()
        .args(["verify", "alpha", "--progress-every", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
