//! `cohortdb compile`, `sql` and `explain`: golden cases under tests/compile/<case>/ (a spec and
//! its expected.csv / expected.jsonl, reviewed by hand; regenerate with SNAPSHOTS=overwrite and
//! review the diff like code), the reference's own CLI vectors (docs/reference.md §6.3), flags and errors.

mod support;

use std::path::{Path, PathBuf};

use support::Sandbox;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn spec_of(case: &Path) -> PathBuf {
    let json = case.join("spec/config.json");
    if json.exists() {
        json
    } else {
        case.join("spec")
    }
}

#[test]
fn golden_cases_match_their_expected_files() {
    let overwrite = std::env::var("SNAPSHOTS").is_ok_and(|v| v == "overwrite");
    let cases = cases();
    assert!(cases.len() >= 10, "the golden cases are missing");
    for case in cases {
        let s = Sandbox::empty();
        for ext in ["csv", "jsonl"] {
            let out = s.path(&format!("rows.{ext}"));
            s.ok(&[
                "compile",
                spec_of(&case).to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ]);
            let got = std::fs::read(&out).unwrap();
            let expected = case.join(format!("expected.{ext}"));
            if overwrite {
                std::fs::write(&expected, &got).unwrap();
                continue;
            }
            let want = std::fs::read(&expected)
                .unwrap_or_else(|_| panic!("{} is missing", expected.display()));
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "{} differs from {}",
                out.display(),
                expected.display()
            );
        }
    }
}

#[test]
fn compiling_twice_gives_identical_bytes() {
    let s = Sandbox::empty();
    for case in cases() {
        let spec = spec_of(&case);
        let a = s.ok(&["compile", spec.to_str().unwrap()]);
        let b = s.ok(&["compile", spec.to_str().unwrap()]);
        assert_eq!(a, b, "{}", case.display());
        let sql_a = s.ok(&["sql", spec.to_str().unwrap()]);
        assert_eq!(sql_a, s.ok(&["sql", spec.to_str().unwrap()]));
    }
}

fn cli_spec(s: &Sandbox) {
    // docs/reference.md §6.3: the reference CLI tests' spec.
    s.write(
        "spec.json",
        r#"{"axes": {"draft_template": ["draft-A"], "essay_template": ["essay-A"]},
            "rules": {"pairs": {"draft_essay": {"left": "draft_template", "right": "essay_template",
                                                "allowed": [["draft-A", "essay-A"]]}}},
            "output": {"field_order": ["draft_template", "essay_template"]}}"#,
    );
}

#[test]
fn reference_cli_vectors() {
    let s = Sandbox::empty();
    cli_spec(&s);
    s.write("catalog.json", r#"{"draft_template": ["draft-A"]}"#);
    // CLI1
    s.ok(&[
        "compile",
        "spec.json",
        "--out",
        "rows.csv",
        "--format",
        "csv",
        "--catalog",
        "catalog.json",
    ]);
    assert_eq!(
        s.read("rows.csv"),
        "draft_template,essay_template\r\ndraft-A,essay-A\r\n"
    );
    // CLI2
    s.ok(&[
        "compile",
        "spec.json",
        "--out",
        "rows.jsonl",
        "--format",
        "jsonl",
        "--catalog",
        "catalog.json",
    ]);
    assert_eq!(
        s.read("rows.jsonl"),
        "{\"draft_template\": \"draft-A\", \"essay_template\": \"essay-A\"}\n"
    );
    // CLI3, where cohortdb really validates (D8).
    s.write("draft_templates.csv", "id\ndraft-A\n");
    s.ok(&[
        "compile",
        "spec.json",
        "--out",
        "rows.csv",
        "--catalog-csv",
        &format!(
            "draft_template={}:id",
            s.path("draft_templates.csv").display()
        ),
    ]);
}

#[test]
fn catalogs_really_validate_and_list_every_missing_value() {
    let s = Sandbox::empty();
    cli_spec(&s);
    s.write(
        "catalog.json",
        r#"{"draft_template": {"draft-B": 1}, "essay_template": ["essay-Z", "essay-Y"]}"#,
    );
    let err = s.fails(&[
        "compile",
        "spec.json",
        "--out",
        "rows.csv",
        "--catalog",
        "catalog.json",
    ]);
    assert!(
        err.contains("draft_template: \"draft-A\"") && err.contains("essay_template: \"essay-A\""),
        "{err}"
    );
    assert!(!s.path("rows.csv").exists());
    s.write("data/1_raw/llm_models.csv", "id,model\nm1,x\n");
    s.write(
        "m.yaml",
        "axes: {draft_llm: [m1, m2]}\noutput: {field_order: []}\n",
    );
    let err = s.fails(&[
        "compile",
        "m.yaml",
        "--catalog-csv",
        "draft_llm=@llm_models_csv",
    ]);
    assert!(err.contains("\"m2\"") && !err.contains("\"m1\""), "{err}");
    let err = s.fails(&[
        "compile",
        "m.yaml",
        "--catalog-csv",
        "draft_llm=@templates_csv",
    ]);
    assert!(err.contains("unknown shortcut"), "{err}");
    let err = s.fails(&[
        "compile",
        "m.yaml",
        "--catalog-csv",
        "no_such_axis=@llm_models_csv",
    ]);
    assert!(err.contains("no column \"no_such_axis\""), "{err}");
}

#[test]
fn stdout_is_lf_csv_and_limit_prints_the_first_rows() {
    let s = Sandbox::empty();
    s.write(
        "c.yaml",
        "axes: {a: [x, y, z]}\noutput: {field_order: []}\n",
    );
    assert_eq!(s.ok(&["compile", "c.yaml"]), "a\nx\ny\nz\n");
    let out = s.run(&["compile", "c.yaml", "--limit", "2"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\nx\ny\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("showing 2 of 3 rows"));
    assert_eq!(
        s.ok(&["compile", "c.yaml", "--format", "jsonl", "--limit", "1"]),
        "{\"a\": \"x\"}\n"
    );
    for bad in [
        vec!["--limit", "0"],
        vec!["--limit", "-1"],
        vec!["--limit", "1", "--out", "r.csv"],
    ] {
        let mut args = vec!["compile", "c.yaml"];
        args.extend(bad);
        s.fails(&args);
    }
}

#[test]
fn seeds_shuffle_exactly_and_override_output_seed() {
    let s = Sandbox::empty();
    // docs/reference.md §6.2 C16: seed 123 → d3, d2, d1; seed 456 → unchanged; negative seeds = positive.
    s.write(
        "c.yaml",
        "axes: {draft_template: [d1, d2, d3]}\noutput: {field_order: []}\n",
    );
    assert_eq!(
        s.ok(&["compile", "c.yaml", "--seed", "123"]),
        "draft_template\nd3\nd2\nd1\n"
    );
    assert_eq!(
        s.ok(&["compile", "c.yaml", "--seed", "456"]),
        "draft_template\nd1\nd2\nd3\n"
    );
    s.write(
        "t.yaml",
        "axes: {n: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}\noutput: {field_order: [], seed: 1}\n",
    );
    let rows = |out: String| out.lines().skip(1).collect::<Vec<_>>().join(",");
    assert_eq!(
        rows(s.ok(&["compile", "t.yaml", "--seed", "42"])),
        "7,3,2,8,5,6,9,4,0,1"
    );
    assert_eq!(
        rows(s.ok(&["compile", "t.yaml", "--seed", "-42"])),
        "7,3,2,8,5,6,9,4,0,1"
    );
    assert_eq!(
        rows(s.ok(&["compile", "t.yaml"])),
        "6,8,9,7,5,3,0,4,1,2",
        "output.seed 1 applies without --seed"
    );
}

#[test]
fn an_unknown_out_suffix_writes_nothing() {
    let s = Sandbox::empty();
    s.write("c.yaml", "axes: {a: [x]}\noutput: {field_order: []}\n");
    let err = s.fails(&["compile", "c.yaml", "--out", "rows.txt"]);
    assert!(err.contains(".txt"), "{err}");
    assert!(!s.path("rows.txt").exists());
    s.ok(&[
        "compile", "c.yaml", "--out", "rows.txt", "--format", "jsonl",
    ]);
    assert_eq!(s.read("rows.txt"), "{\"a\": \"x\"}\n");
    s.ok(&["compile", "c.yaml", "--out", "rows"]);
    assert_eq!(s.read("rows"), "a\r\nx\r\n", "no suffix means csv");
}

#[test]
fn a_failing_compile_leaves_an_existing_out_file_alone() {
    let s = Sandbox::empty();
    s.write("rows.csv", "old");
    s.write(
        "bad.yaml",
        "axes: {a: [x]}\nrules: {subsets: {a: [nope]}}\noutput: {field_order: []}\n",
    );
    s.fails(&["compile", "bad.yaml", "--out", "rows.csv"]);
    assert_eq!(s.read("rows.csv"), "old");
    let leftovers: Vec<_> = std::fs::read_dir(s.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        2,
        "no temporary file is left: {leftovers:?}"
    );
}

#[test]
fn spec_errors_name_file_path_and_value() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "axes: {flag: [true]}\noutput: {field_order: []}\n",
            "c.yaml: axes.flag[0]: true is a boolean",
            "'true'",
        ),
        ("axes: {a: [x]\n", "c.yaml:", "invalid YAML"),
        (
            "axes: {a: [x]}\nrules: {zips: {z: [a]}}\noutput: {field_order: []}\n",
            "rules.zips",
            "unsupported rule section \"zips\"",
        ),
        (
            "axes: {a: [x]}\noutput: {field_order: [a, ghost_axis]}\n",
            "output.field_order",
            "\"ghost_axis\"",
        ),
        (
            "axes: {a: [x, y], b: [z]}\nrules: {pairs: {p: {left: a, right: b, allowed: [[x, z], [y, q]]}}}\noutput: {field_order: []}\n",
            "allowed[1]",
            "right value \"q\" is not a level of \"b\"",
        ),
        (
            "axes: {a: [x], b: [y]}\nrules: {ties: {t: [a, b]}}\noutput: {field_order: []}\n",
            "rules.ties.t",
            "no level in common: a [\"x\"] vs b [\"y\"]",
        ),
        (
            "axes: {a: '@file:../up.csv'}\noutput: {field_order: []}\n",
            "axes.a",
            "outside the spec folder",
        ),
        (
            "axes: {a: '@file:missing.txt'}\noutput: {field_order: []}\n",
            "axes.a",
            "missing.txt does not exist",
        ),
        (
            "axes: {a: [x]}\noutput: {field_order: []}\noutput: {field_order: []}\n",
            "c.yaml:3",
            "duplicate key \"output\"",
        ),
        (
            "axes: {a: [x]}\nreplicates: {a: 2}\noutput: {field_order: []}\n",
            "replicates",
            "replicate axes",
        ),
    ];
    for (spec, location, message) in cases {
        let s = Sandbox::empty();
        s.write("spec/c.yaml", spec);
        let err = s.fails(&["compile", "spec/c.yaml", "--out", "rows.csv"]);
        assert!(
            err.contains(location) && err.contains(message),
            "{spec}\n{err}"
        );
        assert!(!s.path("rows.csv").exists());
    }
}

#[test]
fn a_directory_spec_means_its_config_yaml() {
    let s = Sandbox::empty();
    s.write(
        "spec/config.yaml",
        "axes: {a: [x]}\noutput: {field_order: []}\n",
    );
    assert_eq!(s.ok(&["compile", "spec"]), "a\nx\n");
    let err = s.fails(&["compile", "nowhere"]);
    assert!(err.contains("nowhere"), "{err}");
    s.write("spec.toml", "");
    let err = s.fails(&["compile", "spec.toml"]);
    assert!(err.contains(".toml"), "{err}");
}

#[test]
fn max_rows_refuses_huge_products_before_any_work() {
    let s = Sandbox::empty();
    let levels: Vec<String> = (0..1000).map(|i| format!("v{i}")).collect();
    let axis = format!("[{}]", levels.join(", "));
    s.write("big.yaml", format!("axes: {{a: {axis}, b: {axis}, c: {axis}, d: {axis}, e: {axis}}}\noutput: {{field_order: []}}\n"));
    let err = s.fails(&["compile", "big.yaml"]);
    assert!(
        err.contains("1000000000000000 rows") && err.contains("--max-rows"),
        "{err}"
    );
    s.write(
        "mid.yaml",
        "axes: {a: [1, 2, 3], b: [1, 2]}\noutput: {field_order: []}\n",
    );
    s.fails(&["compile", "mid.yaml", "--max-rows", "5"]);
    s.ok(&["compile", "mid.yaml", "--max-rows", "6"]);
}

#[test]
fn sql_prints_placeholders_and_table_counts() {
    let s = Sandbox::empty();
    s.write(
        "c.yaml",
        "axes: {secret_level: [VALUE-SENTINEL-1], b: [1, 2]}\noutput: {field_order: []}\n",
    );
    let sql = s.ok(&["sql", "c.yaml"]);
    assert!(
        sql.contains("insert into t0 (ord, c0) values (?1, ?2);"),
        "{sql}"
    );
    assert!(sql.contains("order by t0.ord, t1.ord;"), "{sql}");
    assert!(sql.contains("-- product: 2 rows"), "{sql}");
    assert!(
        !sql.contains("VALUE-SENTINEL"),
        "values never appear in SQL text: {sql}"
    );
    let seeded = s.ok(&["sql", "c.yaml", "--seed", "3"]);
    assert!(seeded.contains("with recursive shuffled"), "{seeded}");
}

#[test]
fn explain_shows_each_rule_and_the_row_count() {
    let s = Sandbox::empty();
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile/subset_tie_pair_balance/spec");
    let out = s.ok(&["explain", case.to_str().unwrap()]);
    for needle in [
        "4 levels   axes.draft_template",
        "1. subset of draft_template",
        "2. tie shared",
        "3. pair scoring",
        "rows: 8",
        "columns (5): essay_template, judge, shared, evaluation_template, draft_template",
    ] {
        assert!(out.contains(needle), "{needle}\n{out}");
    }
}

/// docs/spec-dsl.md quotes golden cases after `<!-- example: NAME -->`: a yaml block that must
/// be the case's config and a text block that must be its expected CSV (LF line ends).
#[test]
fn the_dsl_reference_quotes_the_golden_cases_exactly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/spec-dsl.md")).unwrap();
    let mut checked = 0;
    for part in doc.split("<!-- example: ").skip(1) {
        let (name, rest) = part.split_once(" -->").unwrap();
        let yaml = rest
            .split("```yaml\n")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let csv = rest
            .split("```text\n")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let case = root.join("tests/compile").join(name);
        assert_eq!(
            yaml,
            std::fs::read_to_string(case.join("spec/config.yaml")).unwrap(),
            "{name}: config"
        );
        assert_eq!(
            csv,
            std::fs::read_to_string(case.join("expected.csv"))
                .unwrap()
                .replace("\r\n", "\n"),
            "{name}: output"
        );
        checked += 1;
    }
    assert!(checked >= 5, "the examples were not found");
}
