//! `--format json` / `--json`: one JSON document on stdout per command, validated against its
//! schema under docs/schema/; errors stay on stderr as `error: …` (exit 2).

mod support;

use support::Sandbox;
use support::schema::validate;

#[test]
fn build_reports_created_then_unchanged() {
    let s = Sandbox::new();
    s.ok(&["import", "-q"]);
    let first = validate("build.schema.json", &s.ok(&["build", "alpha", "--json"]));
    assert_eq!(first["status"], "created");
    assert_eq!(
        first["counts"],
        serde_json::json!({"draft": 4, "essay": 8, "evaluation": 16})
    );
    let again = validate(
        "build.schema.json",
        &s.ok(&["build", "alpha", "--format", "json"]),
    );
    assert_eq!(again["status"], "unchanged");
    assert_eq!(again["content_hash"], first["content_hash"]);
}

#[test]
fn export_and_cohorts_reports() {
    let s = Sandbox::baseline();
    let export = validate("export.schema.json", &s.ok(&["export", "alpha", "--json"]));
    assert_eq!(
        export["files"][0],
        serde_json::json!(["membership.csv", "written"])
    );
    assert_eq!(export["metadata_written"], 28);
    let again = validate("export.schema.json", &s.ok(&["export", "alpha", "--json"]));
    assert_eq!(again["metadata_present"], 28);
    let cohorts = validate("cohorts.schema.json", &s.ok(&["cohorts", "--json"]));
    assert_eq!(cohorts["cohorts"][0]["cohort_id"], "alpha");
    assert_eq!(cohorts["cohorts"][0]["counts"]["evaluation"], 16);
    let empty = Sandbox::empty();
    empty.ok(&["init"]);
    let none = validate("cohorts.schema.json", &empty.ok(&["cohorts", "--json"]));
    assert_eq!(none, serde_json::json!({"cohorts": []}));
}

#[test]
fn verify_reports_matches_and_differences_with_the_exit_status() {
    let s = Sandbox::baseline();
    s.ok(&["export", "alpha", "-q"]);
    let ok = validate("verify.schema.json", &s.ok(&["verify", "alpha", "--json"]));
    assert_eq!(ok["matches"], true);
    assert!(
        ok["cohorts"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "ok")
    );
    std::fs::remove_file(s.path("data/cohorts/alpha/manifest.json")).unwrap();
    let out = s.run(&["verify", "--all", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let differs = validate(
        "verify.schema.json",
        &String::from_utf8(out.stdout).unwrap(),
    );
    assert_eq!(differs["matches"], false);
    assert!(
        differs["cohorts"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "difference")
    );
}

#[test]
fn errors_stay_on_stderr_with_json() {
    let s = Sandbox::baseline();
    for args in [
        &["show", "nope", "--json"][..],
        &["status", "nope", "--json"],
        &["verify", "nope", "--json"],
        &["export", "nope", "--json"],
        &["build", "nope", "--json"],
    ] {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
    }
    s.fails(&["status", "--format", "yaml"]);
}

#[test]
fn import_reports_each_file_and_explain_the_plan() {
    let s = Sandbox::new();
    let first = validate("import.schema.json", &s.ok(&["import", "--json"]));
    assert!(first["added"].as_u64().unwrap() > 0);
    let models = first["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "llm-models")
        .unwrap()
        .clone();
    assert_eq!(
        (models["added"].as_u64(), models["present"].as_bool()),
        (Some(3), Some(true))
    );
    let again = validate("import.schema.json", &s.ok(&["import", "--format", "json"]));
    assert_eq!(again["added"], 0);
    assert!(
        again["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["batch_id"].is_null())
    );
    let one = validate(
        "import.schema.json",
        &s.ok(&[
            "import",
            "llm-models",
            "data/1_raw/llm_models.csv",
            "--json",
        ]),
    );
    assert_eq!(one["files"].as_array().unwrap().len(), 1);
    let plan = validate(
        "explain.schema.json",
        &s.ok(&["explain", "data/cohorts/alpha/spec", "--json"]),
    );
    assert_eq!(plan["rows"], 16);
    assert_eq!(plan["rows_before_rules"], 32);
    assert_eq!(plan["steps"].as_array().unwrap().len(), 2);
}

#[test]
fn init_and_backup_reports() {
    let s = Sandbox::empty();
    let init = validate("init.schema.json", &s.ok(&["init", "--json"]));
    assert_eq!(init["store"], s.db().display().to_string());
    let s = Sandbox::baseline();
    let backup = validate(
        "backup.schema.json",
        &s.ok(&["backup", "copy.db", "--format", "json"]),
    );
    assert_eq!(backup["cohorts"], 1);
    assert_eq!(backup["dest"], "copy.db");
}

#[test]
fn push_and_pull_reports() {
    let s = Sandbox::baseline();
    let push = validate(
        "copy.schema.json",
        &s.ok(&["push", "alpha", "--to", "other.db", "--json"]),
    );
    assert_eq!(push["copied"], serde_json::json!(["alpha"]));
    assert_eq!(push["to"], "other.db");
    let again = validate(
        "copy.schema.json",
        &s.ok(&["push", "alpha", "--to", "other.db", "--json"]),
    );
    assert_eq!(again["present"], serde_json::json!(["alpha"]));
    assert_eq!(again["copied"], serde_json::json!([]));
    let pull = validate(
        "copy.schema.json",
        &s.ok(&[
            "--db", "third.db", "pull", "alpha", "--from", "other.db", "--json",
        ]),
    );
    assert_eq!(pull["copied"], serde_json::json!(["alpha"]));
    assert_eq!(pull["to"], "third.db");
}
