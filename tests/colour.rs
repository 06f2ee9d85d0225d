//! `--color auto|always|never` (docs/cli.md, "Colour"): only the error, warning and hint
//! prefixes on stderr (and clap's own messages) are coloured; `auto` colours a terminal unless
//! `NO_COLOR` is set, `CLICOLOR_FORCE` forces it; an explicit `always`/`never` wins; a pipe or a
//! JSON document never gets colour unless asked for.

mod support;

use support::Sandbox;

const RED_ERROR: &str = "\u{1b}[1;31merror:\u{1b}[0m ";

/// `cohortdb args…` with the colour variables given (the sandbox sets `NO_COLOR` by default).
fn run(s: &Sandbox, args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = s.cmd();
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_pipe_gets_no_colour_unless_asked_for() {
    let s = Sandbox::new();
    let plain = run(&s, &["build", "nope"], &[]);
    assert!(stderr(&plain).starts_with("error: "), "{plain:?}");
    assert!(!stderr(&plain).contains('\u{1b}'));

    let always = run(&s, &["build", "nope", "--color", "always"], &[]);
    assert_eq!(always.status.code(), Some(2));
    assert!(stderr(&always).starts_with(RED_ERROR), "{always:?}");

    // CLICOLOR_FORCE colours a pipe; NO_COLOR and --color never win over it.
    let forced = run(&s, &["build", "nope"], &[("CLICOLOR_FORCE", "1")]);
    assert!(stderr(&forced).starts_with(RED_ERROR), "{forced:?}");
    for (args, vars) in [
        (
            &["build", "nope"][..],
            &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")][..],
        ),
        (
            &["build", "nope", "--color=never"],
            &[("CLICOLOR_FORCE", "1")],
        ),
        (&["build", "nope"], &[("CLICOLOR_FORCE", "0")]),
    ] {
        let out = run(&s, args, vars);
        assert!(!stderr(&out).contains('\u{1b}'), "{args:?} {vars:?}");
    }
    // --color always wins over NO_COLOR (an explicit choice).
    let out = run(
        &s,
        &["--color", "always", "build", "nope"],
        &[("NO_COLOR", "1")],
    );
    assert!(stderr(&out).starts_with(RED_ERROR));
}

#[test]
fn hints_and_warnings_are_coloured_and_reports_never() {
    let s = Sandbox::new();
    s.write(
        "data/1_raw/llm_models.csv",
        "id,model,provider,display_name,specialization\nx,a,b,c,d\nx,a,b,c,e\n",
    );
    let out = run(&s, &["import", "--color", "always"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.starts_with(RED_ERROR), "{text:?}");
    // A warning (an orphan body file) and the report on stdout.
    let s = Sandbox::new();
    s.write("data/1_raw/templates/draft/orphan.txt", "no catalog row");
    let out = run(&s, &["import", "--color", "always"], &[]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stderr(&out).contains("\u{1b}[1;33mwarning:\u{1b}[0m "),
        "{out:?}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
    // JSON is never coloured.
    let json = run(&s, &["status", "--json", "--color", "always"], &[]);
    assert!(!String::from_utf8_lossy(&json.stdout).contains('\u{1b}'));
    assert!(serde_json::from_slice::<serde_json::Value>(&json.stdout).is_ok());
}

#[test]
fn clap_follows_the_choice_and_refuses_a_bad_one() {
    let s = Sandbox::new();
    let coloured = run(&s, &["--color", "always", "--bogus"], &[]);
    assert_eq!(coloured.status.code(), Some(2));
    assert!(stderr(&coloured).contains('\u{1b}'), "{coloured:?}");
    let plain = run(
        &s,
        &["--color", "never", "--bogus"],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert_eq!(plain.status.code(), Some(2));
    assert!(!stderr(&plain).contains('\u{1b}'), "{plain:?}");
    let bad = run(&s, &["--color", "pink", "status"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("invalid value 'pink' for '--color <WHEN>'"));
}

/// On a terminal (a pseudo-terminal made by util-linux `script`), `auto` colours the prefix;
/// `NO_COLOR` stops it.
#[cfg(target_os = "linux")]
#[test]
fn auto_colours_a_terminal_unless_no_color() {
    let s = Sandbox::new();
    let bin = assert_cmd::cargo::cargo_bin("cohortdb");
    let on_terminal = |no_color: bool| {
        let mut cmd = std::process::Command::new("script");
        cmd.args([
            "-qec",
            &format!("'{}' build nope", bin.display()),
            "/dev/null",
        ])
        .current_dir(s.path(""))
        .env("COHORTDB_DB", s.db())
        .env("COHORTDB_DATA_ROOT", s.path("data"))
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        String::from_utf8_lossy(&cmd.output().expect("script runs").stdout).into_owned()
    };
    assert!(on_terminal(false).contains(RED_ERROR.trim_end()));
    let plain = on_terminal(true);
    assert!(
        plain.contains("error: ") && !plain.contains('\u{1b}'),
        "{plain:?}"
    );
}
