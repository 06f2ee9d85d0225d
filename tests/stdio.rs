//! `-` as a file argument is standard input or output (docs/cli.md, "Streams"; docs/decisions.md
//! D30): `compile --out -`, `import KIND -`, `compile --catalog -` and `--catalog-csv AXIS=-`,
//! `query --file -`, `backup -`; a spec is never read from stdin; a file named `-` is `./-`.

mod support;

use support::Sandbox;

/// Runs `cohortdb args…` with `input` on stdin.
fn with_stdin(s: &Sandbox, args: &[&str], input: &[u8]) -> std::process::Output {
    s.cmd().args(args).write_stdin(input).output().unwrap()
}

#[test]
fn compile_out_dash_writes_the_file_bytes_to_stdout() {
    let s = Sandbox::new();
    s.ok(&["compile", "data/cohorts/alpha/spec", "--out", "rows.csv"]);
    let file = std::fs::read(s.path("rows.csv")).unwrap();
    let out = s.run(&["compile", "data/cohorts/alpha/spec", "--out", "-"]);
    assert!(out.status.success());
    assert_eq!(out.stdout, file, "the reference's CRLF bytes");
    assert!(file.windows(2).any(|w| w == b"\r\n"));
    let jsonl = s.ok(&[
        "compile",
        "data/cohorts/alpha/spec",
        "--out",
        "-",
        "--format",
        "jsonl",
    ]);
    assert!(jsonl.starts_with("{\"combo_id\": "), "{jsonl}");
    // A file named `-` is reached as `./-`.
    s.ok(&["compile", "data/cohorts/alpha/spec", "--out", "./-"]);
    assert_eq!(std::fs::read(s.path("-")).unwrap(), file);
}

#[test]
fn import_kind_dash_reads_the_csv_from_stdin_and_names_it_dash() {
    let s = Sandbox::new();
    let csv = std::fs::read(s.path("data/1_raw/llm_models.csv")).unwrap();
    let out = with_stdin(&s, &["import", "llm-models", "-"], &csv);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("llm models "), "{text}");
    assert!(
        text.contains(" added ") && text.contains("   -\n"),
        "{text}"
    );
    // The same rows again: nothing new.
    let again = with_stdin(&s, &["import", "llm-models", "-"], &csv);
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing new"));
    // Errors name `-` with the line.
    let before = s.store_digest();
    let bad = with_stdin(
        &s,
        &["import", "llm-models", "-"],
        b"id,model\nx,one\nx,two\n",
    );
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.starts_with("error: -:3:2: "), "{stderr}");
    assert_eq!(s.store_digest(), before);
    // `./-` is a file, and there is none.
    let err = s.fails(&["import", "llm-models", "./-"]);
    assert!(err.contains("./-: no such catalog file"), "{err}");
}

#[test]
fn catalogs_for_compile_and_a_query_read_stdin() {
    let s = Sandbox::new();
    let out = with_stdin(
        &s,
        &[
            "compile",
            "data/cohorts/alpha/spec",
            "--catalog",
            "-",
            "--limit",
            "1",
        ],
        b"{\"evaluation_llm\": [\"nobody\"]}",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("(catalog: -)"),
        "{out:?}"
    );
    let out = with_stdin(
        &s,
        &[
            "compile",
            "data/cohorts/alpha/spec",
            "--catalog-csv",
            "evaluation_llm=-",
            "--limit",
            "1",
        ],
        b"id\njudge\n",
    );
    assert!(out.status.success(), "{out:?}");
    s.ok(&["import", "-q"]);
    let out = with_stdin(
        &s,
        &["query", "--file", "-", "--format", "csv"],
        b"select count(*) as n from llm_models",
    );
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("n\n"));
}

#[test]
fn a_spec_is_never_read_from_stdin() {
    let s = Sandbox::new();
    for args in [
        &["compile", "-"][..],
        &["explain", "-"],
        &["sql", "-"],
        &["build", "x", "--spec", "-"],
    ] {
        let err = s.fails(args);
        assert!(
            err.contains("SPEC -: a spec is read from a file or a folder, not from stdin"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn backup_dash_writes_the_store_to_stdout_and_the_report_to_stderr() {
    let s = Sandbox::baseline();
    let out = s.run(&["backup", "-"]);
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.starts_with(b"SQLite format 3\0"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("backup: - (") && stderr.contains("1 cohort)"),
        "{stderr}"
    );
    // The copy is a store the commands open.
    std::fs::write(s.path("copy.db"), &out.stdout).unwrap();
    let cohorts = s
        .cmd()
        .args(["cohorts", "--db", "copy.db"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&cohorts.stdout).contains("alpha"));
    let err = s.fails(&["backup", "-", "--format", "json"]);
    assert!(err.contains("no stream for --format json"), "{err}");
}
