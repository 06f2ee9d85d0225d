//! `cohortdb diff A B`: stored cohorts and spec folders compared, read-only.

mod support;

use std::collections::BTreeSet;

use support::Sandbox;
use support::schema::validate;

fn diff(s: &Sandbox, args: &[&str]) -> (i32, String) {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    let out = s.run(&all);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// A copy of alpha's spec folder with one more evaluation replicate.
fn one_more_level(s: &Sandbox) {
    let config = s.read("data/cohorts/alpha/spec/config.yaml");
    s.write(
        "more/config.yaml",
        config.replace("evaluation_replicate: [1]", "evaluation_replicate: [1, 2]"),
    );
    s.write(
        "more/items/essays.csv",
        s.read("data/cohorts/alpha/spec/items/essays.csv"),
    );
}

#[test]
fn a_cohort_against_its_own_spec_folder_is_identical() {
    let s = Sandbox::baseline();
    let before = s.store_digest();
    assert_eq!(
        diff(&s, &["alpha", "data/cohorts/alpha/spec"]),
        (
            0,
            "--- alpha\n+++ data/cohorts/alpha/spec\nidentical\n".to_string()
        )
    );
    let (code, out) = diff(&s, &["data/cohorts/alpha/spec", "alpha", "--json"]);
    assert_eq!(code, 0);
    let json = validate("diff.schema.json", &out);
    assert_eq!(json["identical"], true);
    assert_eq!(diff(&s, &["alpha", "alpha"]).0, 0);
    assert_eq!(s.store_digest(), before, "diff writes nothing");
}

#[test]
fn a_spec_with_one_more_level_lists_exactly_the_added_members() {
    let s = Sandbox::baseline();
    one_more_level(&s);
    let (code, out) = diff(&s, &["alpha", "more", "--json"]);
    assert_eq!(code, 1);
    let json = validate("diff.schema.json", &out);
    assert_eq!(
        json["spec_changes"],
        serde_json::json!([{"change": "levels_added", "axis": "evaluation_replicate", "levels": ["2"]}])
    );
    assert_eq!(json["removed"], serde_json::json!([]));
    let added: BTreeSet<String> = json["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["replicate"], 2);
            format!(
                "{},{}",
                m["stage"].as_str().unwrap(),
                m["gen_id"].as_str().unwrap()
            )
        })
        .collect();
    // The same members a real build of that spec adds.
    s.ok(&["build", "more", "--spec", "more", "-q"]);
    let expected: BTreeSet<String> = s
        .query(
            "select stage, gen_id from membership where cohort_id = 'more' and gen_id not in \
             (select gen_id from membership where cohort_id = 'alpha')",
        )
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    assert_eq!(added.len(), 16);
    assert_eq!(added, expected);
    // Two stored cohorts give the same answer, in both directions.
    let (_, text) = diff(&s, &["alpha", "more"]);
    assert!(
        text.contains("spec:\n  axis evaluation_replicate: levels added 2\nmembers:\n")
            && text.contains("  evaluation        16 -> 32         +16 -0\n"),
        "{text}"
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("+ evaluation "))
            .count(),
        16
    );
    let (code, text) = diff(&s, &["more", "alpha", "--stat"]);
    assert_eq!(code, 1);
    assert!(
        text.contains("  evaluation        32 -> 16         +0 -16\n"),
        "{text}"
    );
    assert!(
        !text.contains("- evaluation "),
        "--stat lists no members:\n{text}"
    );
}

#[test]
fn diff_errors_exit_2() {
    let s = Sandbox::baseline();
    assert!(
        s.fails(&["diff", "alpha", "nope"])
            .contains("no cohort \"nope\"")
    );
    s.write("bad/config.yaml", "axes: [\n");
    s.fails(&["diff", "alpha", "bad"]);
    s.fails(&["diff", "alpha"]);
}
