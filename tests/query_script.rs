//! `cohortdb query` for scripts: SQL from a file or stdin, comments, named parameters (bound),
//! every output format, SQLite's float text and one blob text everywhere.

mod support;

use std::io::Write;
use std::process::Stdio;

use support::Sandbox;

const VALUES: &str =
    "select 1.0 as a, 0.1 + 0.2 as b, 1e20 as c, x'00ff' as d, 'p|q\tr' as e, null as f, 3 as g";

#[test]
fn every_format_prints_floats_as_sqlite_and_blobs_the_same() {
    let s = Sandbox::baseline();
    let run = |format: &str| s.ok(&["query", VALUES, "--format", format]);
    assert_eq!(
        run("csv"),
        "a,b,c,d,e,f,g\n1.0,0.30000000000000004,1.0e+20,x'00ff',p|q\tr,,3\n"
    );
    assert_eq!(
        run("tsv"),
        "a\tb\tc\td\te\tf\tg\n1.0\t0.30000000000000004\t1.0e+20\tx'00ff'\tp|q\\tr\t\t3\n"
    );
    assert_eq!(
        run("jsonl"),
        "{\"a\": 1.0, \"b\": 0.30000000000000004, \"c\": 1.0e+20, \"d\": \"x'00ff'\", \"e\": \"p|q\\tr\", \"f\": null, \"g\": 3}\n"
    );
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json[0]["d"], "x'00ff'");
    assert_eq!(json[0]["a"].as_f64(), Some(1.0));
    assert_eq!(
        run("markdown"),
        "| a | b | c | d | e | f | g |\n| --- | --- | --- | --- | --- | --- | --- |\n\
         | 1.0 | 0.30000000000000004 | 1.0e+20 | x'00ff' | p\\|q\tr |  | 3 |\n"
    );
    let table = run("table");
    assert!(
        table.contains("1.0  0.30000000000000004  1.0e+20  x'00ff'"),
        "{table}"
    );
}

#[test]
fn sql_from_a_file_or_stdin_with_comments_and_named_parameters() {
    let s = Sandbox::baseline();
    s.write(
        "q.sql",
        "-- members per stage\n-- of one cohort\nselect stage, count(*) as n from membership\n\
         where cohort_id = :cohort and replicate >= :rep group by stage order by stage;\n-- end\n",
    );
    let expected = "stage,n\ndraft,4\nessay,8\nevaluation,16\n";
    let args = [
        "--param",
        "cohort=alpha",
        "--param",
        "rep=1",
        "--format",
        "csv",
    ];
    let mut file_args = vec!["query", "--file", "q.sql"];
    file_args.extend_from_slice(&args);
    assert_eq!(s.ok(&file_args), expected);
    let mut child = s
        .std_cmd()
        .args([
            "query",
            "-",
            "--param",
            ":cohort=alpha",
            "--param",
            "rep=1",
            "--format",
            "csv",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(s.read("q.sql").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    // A value is bound, never spliced: quotes and SQL in it are just text.
    let none = s.ok(&[
        "query",
        "select count(*) as n from membership where cohort_id = :c",
        "--param",
        "c=alpha' or '1'='1",
        "--format",
        "csv",
    ]);
    assert_eq!(none, "n\n0\n");
    // A canonical integer binds as an integer, other text as text.
    let typed = s.ok(&[
        "query",
        "select typeof(:a) as a, typeof(:b) as b, typeof(:c) as c",
        "--param",
        "a=42",
        "--param",
        "b=007",
        "--param",
        "c=1.5",
        "--format",
        "csv",
    ]);
    assert_eq!(typed, "a,b,c\ninteger,text,text\n");
}

#[test]
fn parameter_and_input_errors_exit_2() {
    let s = Sandbox::baseline();
    let err = s.fails(&["query", "select :a as a, :b as b", "--param", "a=1"]);
    assert!(
        err.contains("no value for the statement's parameter :b"),
        "{err}"
    );
    let err = s.fails(&["query", "select 1", "--param", "x=1"]);
    assert!(
        err.contains("a value was given for x, but the statement has no parameter :x"),
        "{err}"
    );
    let err = s.fails(&["query", "select ?", "--param", "1=a", "--param", "2=b"]);
    assert!(
        err.contains("a value was given for 2, but the statement has no parameter ?2"),
        "{err}"
    );
    let err = s.fails(&["query", "select ? || ?", "--param", "1=a"]);
    assert!(
        err.contains("no value for the statement's parameter ?2"),
        "{err}"
    );
    let err = s.fails(&["query", "select 1", "--param", "novalue"]);
    assert!(err.contains("expected NAME=VALUE"), "{err}");
    let err = s.fails(&["query", "-- nothing here\n/* nor here */"]);
    assert!(err.contains("the SQL statement is empty"), "{err}");
    let err = s.fails(&["query", "--file", "missing.sql"]);
    assert!(err.contains("missing.sql"), "{err}");
    s.fails(&["query", "select 1", "--file", "q.sql"]);
    // A statement given as the argument may start with a comment too.
    assert_eq!(
        s.ok(&["query", "-- one\nselect 1 as x", "--format", "csv"]),
        "x\n1\n"
    );
    s.fails(&["query"]);
    // Writes stay refused whatever the input.
    s.write("w.sql", "-- sneaky\ndelete from cohort_records\n");
    s.fails(&["query", "--file", "w.sql"]);
}
