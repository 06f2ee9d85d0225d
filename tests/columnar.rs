//! `query --format parquet` and `query --out` (docs/cli.md `query`, docs/decisions.md D31): the
//! file the real binary writes is read back with the parquet crate's own reader — the same
//! rows as `--format csv`, typed columns, one file per result on both engines; refusals exit 2
//! and leave `--out` as it was.

#![cfg(feature = "parquet")]

mod support;

use std::fs::File;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use support::Sandbox;

/// The file's columns as `name:PHYSICAL[:LOGICAL]`, and its rows as text (NULL empty), as the
/// csv format would print them.
fn read_parquet(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    let columns = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| {
            let logical = c
                .logical_type_ref()
                .map(|l| format!(":{l:?}"))
                .unwrap_or_default();
            format!("{}:{}{logical}", c.name(), c.physical_type())
        })
        .collect();
    let rows = reader
        .get_row_iter(None)
        .unwrap()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(_, field)| match field {
                    Field::Null => String::new(),
                    Field::Str(s) => s.clone(),
                    Field::Long(i) => i.to_string(),
                    Field::Double(d) => format!("{d:?}"),
                    Field::Bytes(b) => format!("{:?}", b.data()),
                    other => panic!("unexpected field {other:?}"),
                })
                .collect()
        })
        .collect();
    (columns, rows)
}

/// csv output as rows of fields (the fixtures' values have no quotes or commas).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

const MEMBERS: &str = "select cohort_id, ordinal, stage, gen_id, parent_gen_id, combo_id, \
                       template_id, llm_model_id, replicate from membership order by ordinal";

#[test]
fn membership_as_parquet_has_the_csv_rows_in_typed_columns() {
    let s = Sandbox::baseline();
    assert_eq!(
        s.ok(&[
            "query",
            MEMBERS,
            "--format",
            "parquet",
            "--out",
            "m.parquet"
        ]),
        ""
    );
    let (columns, rows) = read_parquet(&s.path("m.parquet"));
    assert_eq!(
        columns,
        [
            "cohort_id:BYTE_ARRAY:String",
            "ordinal:INT64",
            "stage:BYTE_ARRAY:String",
            "gen_id:BYTE_ARRAY:String",
            "parent_gen_id:BYTE_ARRAY:String",
            "combo_id:BYTE_ARRAY:String",
            "template_id:BYTE_ARRAY:String",
            "llm_model_id:BYTE_ARRAY:String",
            "replicate:INT64",
        ]
    );
    let csv = s.ok(&["query", MEMBERS, "--format", "csv"]);
    assert_eq!(rows, csv_rows(&csv));
    assert_eq!(rows.len(), 28);
    // A draft has no parent: a null, not an empty string.
    let reader = SerializedFileReader::new(File::open(s.path("m.parquet")).unwrap()).unwrap();
    let first = reader.get_row_iter(None).unwrap().next().unwrap().unwrap();
    assert_eq!(first.get_column_iter().nth(4).unwrap().1, &Field::Null);

    // A character device is written into, never replaced.
    assert_eq!(
        s.ok(&[
            "query",
            MEMBERS,
            "--format",
            "parquet",
            "--out",
            "/dev/null"
        ]),
        ""
    );
    // `--out` takes every format, and `-` is stdout.
    s.ok(&["query", MEMBERS, "--format", "csv", "--out", "m.csv"]);
    assert_eq!(std::fs::read_to_string(s.path("m.csv")).unwrap(), csv);
    assert_eq!(
        s.ok(&["query", MEMBERS, "--format", "csv", "--out", "-"]),
        csv
    );
}

#[test]
fn parquet_goes_to_stdout_when_it_is_not_a_terminal() {
    let s = Sandbox::baseline();
    let out = s.run(&[
        "query",
        "select 1 as one, 2.5 as half, x'00ff' as b, null as nulls",
        "--format",
        "parquet",
    ]);
    assert!(out.status.success());
    std::fs::write(s.path("o.parquet"), &out.stdout).unwrap();
    let (columns, rows) = read_parquet(&s.path("o.parquet"));
    // No declared types: the values decide; a column of NULLs only is utf8.
    assert_eq!(
        columns,
        [
            "one:INT64",
            "half:DOUBLE",
            "b:BYTE_ARRAY",
            "nulls:BYTE_ARRAY:String"
        ]
    );
    assert_eq!(rows, [["1", "2.5", "[0, 255]", ""]]);
}

#[test]
fn a_value_its_column_cannot_hold_is_refused_and_out_is_left_as_it_was() {
    let s = Sandbox::baseline();
    std::fs::write(s.path("keep.parquet"), "before").unwrap();
    // `replicate` is declared INTEGER; the compound's second arm gives text.
    let out = s.run(&[
        "query",
        "select replicate from membership union all select 'x'",
        "--format",
        "parquet",
        "--out",
        "keep.parquet",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("column \"replicate\" holds text at row 29, but its Parquet type is int64 (from its declared type); cast it in the statement, e.g. `cast(\"replicate\" as text)`"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(s.path("keep.parquet")).unwrap(),
        "before"
    );
    let stray: Vec<_> = std::fs::read_dir(s.path(""))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "a temporary file was left: {stray:?}");

    // Cast as the message says: the column is text, every row written.
    s.ok(&[
        "query",
        "select cast(replicate as text) as replicate from membership union all select 'x'",
        "--format",
        "parquet",
        "--out",
        "keep.parquet",
    ]);
    let (columns, rows) = read_parquet(&s.path("keep.parquet"));
    assert_eq!(columns, ["replicate:BYTE_ARRAY:String"]);
    assert_eq!(rows.len(), 29);
}

#[test]
fn two_columns_of_one_name_and_an_unwritable_out_exit_2() {
    let s = Sandbox::baseline();
    let err = s.fails(&[
        "query",
        "select 1 as a, 2 as a",
        "--format",
        "parquet",
        "--out",
        "d.parquet",
    ]);
    assert!(err.contains("two columns named \"a\""), "{err}");
    assert!(!s.path("d.parquet").exists());
    std::fs::create_dir(s.path("dir")).unwrap();
    let err = s.fails(&["query", "select 1", "--format", "parquet", "--out", "dir"]);
    assert!(err.contains("dir: is a directory"), "{err}");
    let err = s.fails(&["query", "select 1", "--out", "no/such/folder/x.csv"]);
    assert!(err.contains("no/such/folder"), "{err}");
}

#[test]
fn an_empty_result_is_a_file_with_its_columns() {
    let s = Sandbox::baseline();
    s.ok(&[
        "query",
        "select gen_id, replicate from membership where 0",
        "--format",
        "parquet",
        "--out",
        "e.parquet",
    ]);
    let (columns, rows) = read_parquet(&s.path("e.parquet"));
    assert_eq!(columns, ["gen_id:BYTE_ARRAY:String", "replicate:INT64"]);
    assert!(rows.is_empty());
}

#[cfg(feature = "postgres")]
#[test]
fn a_team_store_writes_the_same_columns_and_rows() {
    let Some(db) = support::pg::PgDb::create("columnar") else {
        return;
    };
    let sqlite = Sandbox::new();
    sqlite.ok(&["import"]);
    sqlite.ok(&["build", "alpha"]);
    let team = Sandbox::new();
    let on_team = |args: &[&str]| {
        let out = team
            .cmd()
            .env("COHORTDB_DB", &db.url)
            .env("COHORTDB_MIRROR_DIR", team.path("mirrors"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    on_team(&["import"]);
    on_team(&["build", "alpha"]);
    let args = [
        "query",
        MEMBERS,
        "--format",
        "parquet",
        "--out",
        "m.parquet",
    ];
    sqlite.ok(&args);
    on_team(&args);
    let left = read_parquet(&sqlite.path("m.parquet"));
    let right = read_parquet(&team.path("m.parquet"));
    assert_eq!(left, right);
    assert_eq!(left.1.len(), 28);
}

/// Parquet is binary: on a terminal it needs `--out` (util-linux `script` gives the command a
/// terminal as stdout).
#[cfg(target_os = "linux")]
#[test]
fn parquet_to_a_terminal_is_refused() {
    let s = Sandbox::baseline();
    let bin = assert_cmd::cargo::cargo_bin("cohortdb");
    let line = format!(
        "'{}' query 'select 1' --format parquet; echo \"exit $?\"",
        bin.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(s.path(""))
        .env("COHORTDB_DB", s.db())
        .env("NO_COLOR", "1")
        .output()
        .expect("util-linux `script` runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("error: query --format parquet writes a binary file: name it with --out FILE, or redirect stdout"),
        "{text}"
    );
    assert!(text.contains("exit 2"), "{text}");
}
