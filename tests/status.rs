//! `cohortdb status`, `show`, `completions` and `man`: read-only views of the store.

mod support;

use support::Sandbox;
use support::schema::validate;

/// The fixture cohort built and exported.
fn exported() -> Sandbox {
    let s = Sandbox::baseline();
    s.ok(&["export", "alpha", "-q"]);
    s
}

fn status(s: &Sandbox, args: &[&str]) -> (i32, String) {
    let mut all = vec!["status"];
    all.extend_from_slice(args);
    s.verdict(&all)
}

fn status_json(s: &Sandbox) -> (i32, serde_json::Value) {
    let (code, out) = status(s, &["--format", "json"]);
    (code, validate("status.schema.json", &out))
}

const BETA_SPEC: &str = "axes:
  combo_id: [combo-1, combo-2]
  draft_template: [draft-A]
  draft_llm: [gen-a, gen-b]
  draft_replicate: ['1', '2']
  essay_template: [essay-X]
  essay_llm: [gen-a]
  evaluation_template: [eval-1]
  evaluation_llm: [judge]
  evaluation_replicate: [1]
output: {field_order: []}
";

#[test]
fn a_built_but_unexported_cohort_is_stale_and_export_makes_it_current() {
    let s = Sandbox::baseline();
    let (code, out) = status(&s, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("catalogs: ok\nalpha: not exported (no cohort.lock.json in "),
        "{out}"
    );
    assert!(
        out.contains(")\n    fix: `cohortdb export alpha`\n"),
        "{out}"
    );
    // The JSON report carries the same fix as data, beside the finding.
    let (code, json) = status_json(&s);
    assert_eq!(code, 1);
    assert_eq!(json["cohorts"][0]["stale"][0]["kind"], "not_exported");
    assert_eq!(
        json["cohorts"][0]["stale"][0]["fix"],
        "`cohortdb export alpha`"
    );
    s.ok(&["export", "alpha", "-q"]);
    assert_eq!(
        status(&s, &[]),
        (0, "catalogs: ok\nalpha: ok\n".to_string())
    );
    assert_eq!(status(&s, &["alpha"]), (0, "alpha: ok\n".to_string()));
    let (code, json) = status_json(&s);
    assert_eq!(code, 0);
    assert_eq!(json["current"], true);
    assert_eq!(json["cohorts"][0]["stale"], serde_json::json!([]));
}

#[test]
fn an_edited_spec_file_is_shown_with_what_it_changes_until_restored() {
    let s = exported();
    let config = s.read("data/cohorts/alpha/spec/config.yaml");
    s.write(
        "data/cohorts/alpha/spec/config.yaml",
        config.replace(
            "evaluation_template: [eval-1, eval-2]",
            "evaluation_template: [eval-1, eval-2, eval-3]",
        ),
    );
    let (code, out) = status(&s, &[]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().skip(1).collect();
    assert!(
        lines[0].starts_with("alpha: spec changed in ") && lines[0].ends_with("spec: config.yaml"),
        "{out}"
    );
    assert_eq!(
        lines[1],
        "    axis evaluation_template: levels added \"eval-3\""
    );
    assert!(
        lines[2]
            .starts_with("    fix: keep the edit as a new cohort: `cohortdb build NEW_ID --spec ")
            && lines[2].ends_with("`cohortdb show alpha --spec-out DIR` writes the stored spec"),
        "{out}"
    );
    let (_, json) = status_json(&s);
    let stale = &json["cohorts"][0]["stale"][0];
    assert_eq!(stale["kind"], "spec_changed");
    assert_eq!(stale["files"], serde_json::json!(["config.yaml"]));
    assert_eq!(
        stale["changes"],
        serde_json::json!([{"change": "levels_added", "axis": "evaluation_template", "levels": ["\"eval-3\""]}])
    );
    // Formatting-only edits are not stale (D12); restoring the spec makes it current.
    s.write(
        "data/cohorts/alpha/spec/config.yaml",
        format!("# a note\n{config}"),
    );
    assert_eq!(status(&s, &[]).0, 0);
    s.write("data/cohorts/alpha/spec/items/essays.csv", "not,a,tuple\n");
    let (code, out) = status(&s, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("items/essays.csv"), "{out}");
}

#[test]
fn catalog_rows_not_yet_imported_or_refused_are_shown_until_imported_or_restored() {
    let s = exported();
    let models = s.read("data/1_raw/llm_models.csv");
    s.write(
        "data/1_raw/llm_models.csv",
        format!("{models}gen-c,vendor/gen-c,vendor,Gen C,general\n"),
    );
    let concepts = s.read("data/1_raw/concepts_metadata.csv");
    s.write(
        "data/1_raw/concepts_metadata.csv",
        concepts.replace("Tidal Forces", "Tidal Force"),
    );
    let before = s.store_digest();
    let (code, out) = status(&s, &[]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("catalog concepts (")
            && lines[0].contains("concepts_metadata.csv): an import would refuse it: ")
            && lines[0].contains("concepts row \"tides\" changed: column \"name\""),
        "{out}"
    );
    assert!(
        lines[1].starts_with("    hint: catalog rows are append-only (see docs/decisions.md#d9)"),
        "{out}"
    );
    // Each finding says how to fix it.
    assert!(
        out.contains(
            "llm_models.csv): 1 row not yet imported\n    fix: `cohortdb import`\nalpha: ok\n"
        ),
        "{out}"
    );
    // Naming cohorts checks only them.
    assert_eq!(status(&s, &["alpha"]), (0, "alpha: ok\n".to_string()));
    let (_, json) = status_json(&s);
    let catalogs = json["catalogs"].as_array().unwrap();
    let state = |kind: &str| {
        catalogs
            .iter()
            .find(|c| c["kind"] == kind)
            .map(|c| c["state"].as_str().unwrap().to_string())
    };
    assert_eq!(state("concepts").as_deref(), Some("refused"));
    assert_eq!(state("llm-models").as_deref(), Some("new_rows"));
    assert_eq!(state("draft-templates").as_deref(), Some("current"));
    let llm = catalogs.iter().find(|c| c["kind"] == "llm-models").unwrap();
    assert_eq!(llm["rows"], 1);
    assert_eq!(llm["fix"], "`cohortdb import`");
    let current = catalogs
        .iter()
        .find(|c| c["kind"] == "draft-templates")
        .unwrap();
    assert!(current.get("fix").is_none(), "{current}");
    assert_eq!(s.store_digest(), before, "status imports nothing");
    // The matching fixes: restore the changed row, import the new one.
    s.write("data/1_raw/concepts_metadata.csv", concepts);
    s.ok(&["import", "-q"]);
    assert_eq!(
        status(&s, &[]),
        (0, "catalogs: ok\nalpha: ok\n".to_string())
    );
}

#[test]
fn a_spec_that_no_longer_loads_says_why() {
    let s = exported();
    s.write("data/cohorts/alpha/spec/config.yaml", "axes: [oops\n");
    let (code, out) = status(&s, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("(it no longer loads: "), "{out}");
    let (_, json) = status_json(&s);
    assert!(json["cohorts"][0]["stale"][0]["error"].is_string());
}

#[test]
fn changed_or_missing_exported_files_are_found_by_hash_and_export_force_fixes_them() {
    let s = exported();
    let membership = s.read("data/cohorts/alpha/membership.csv");
    s.write(
        "data/cohorts/alpha/membership.csv",
        membership.replacen("draft,", "essay,", 1),
    );
    std::fs::remove_file(s.path("data/cohorts/alpha/manifest.json")).unwrap();
    let (code, out) = status(&s, &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("alpha: exported file differs from the record: ")
            && out.contains("membership.csv\n    fix: `cohortdb export alpha --force` writes it again from the record\n")
            && out.contains("alpha: exported file missing: ")
            && out.contains("manifest.json\n    fix: `cohortdb export alpha`\n"),
        "{out}"
    );
    let (_, json) = status_json(&s);
    let kinds: Vec<&str> = json["cohorts"][0]["stale"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["export_differs", "export_missing"]);
    s.ok(&["export", "alpha", "--force", "-q"]);
    assert_eq!(status(&s, &[]).0, 0);
    // The lock file is checked too.
    let lock = s.read("data/cohorts/alpha/cohort.lock.json");
    s.write(
        "data/cohorts/alpha/cohort.lock.json",
        lock.replace("cohortdb-v1", "cohortdb-v0"),
    );
    let (code, out) = status(&s, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("cohort.lock.json"), "{out}");
}

#[test]
fn a_newer_overlapping_cohort_is_a_note_on_the_older_one() {
    let s = exported();
    s.write("beta/config.yaml", BETA_SPEC);
    s.ok(&["build", "beta", "--spec", "beta/config.yaml", "-q"]);
    s.ok(&["export", "beta", "-q"]);
    // The members beta shares with alpha (gen_ids alpha registered first).
    let shared = s.query(
        "select count(*) as n from membership b join membership a on a.gen_id = b.gen_id \
         and a.cohort_id = 'alpha' where b.cohort_id = 'beta'",
    );
    let shared: u64 = shared.lines().nth(1).unwrap().parse().unwrap();
    assert!(shared > 0);
    let (code, out) = status(&s, &[]);
    assert_eq!(code, 0, "a note does not make a cohort stale");
    assert_eq!(
        out,
        format!(
            "catalogs: ok\nalpha: ok\nalpha: note: newer cohort beta shares {shared} gen_ids\nbeta: ok\n"
        )
    );
    let (_, json) = status_json(&s);
    assert_eq!(
        json["cohorts"][0]["stale"],
        serde_json::json!([{"kind": "shared_gen_ids", "cohort_id": "beta", "shared": shared}])
    );
    assert_eq!(status(&s, &["beta"]), (0, "beta: ok\n".to_string()));
}

#[test]
fn status_never_changes_the_store_or_a_file() {
    let s = exported();
    s.write("data/cohorts/alpha/spec/config.yaml", "axes: {}\n");
    let before = s.store_digest();
    let membership = s.read("data/cohorts/alpha/membership.csv");
    status(&s, &[]);
    status_json(&s);
    assert_eq!(s.store_digest(), before);
    assert_eq!(s.read("data/cohorts/alpha/membership.csv"), membership);
}

#[test]
fn status_errors_exit_2() {
    let s = exported();
    assert!(s.fails(&["status", "nope"]).contains("no cohort \"nope\""));
    assert!(s.fails(&["status", "../x"]).starts_with("error: "));
    let empty = Sandbox::empty();
    empty.fails(&["status"]);
    assert!(!empty.db().exists(), "status never creates a store");
}

#[test]
fn a_mistyped_data_root_is_an_error_not_a_clean_status() {
    let s = exported();
    for args in [&["status"][..], &["status", "alpha"]] {
        let mut all = args.to_vec();
        all.extend(["--data-root", "dtaa"]);
        let err = s.fails(&all);
        assert!(
            err.starts_with("error: --data-root dtaa: no such folder"),
            "{err}"
        );
        assert!(err.contains("hint: status compares"), "{err}");
    }
    assert!(!s.path("dtaa").exists());
    // The data root as it is: current.
    assert_eq!(status(&s, &["alpha"]), (0, "alpha: ok\n".to_string()));
}

#[test]
fn show_prints_the_record_and_a_balance_table_equal_to_query_counts() {
    let s = exported();
    let out = s.ok(&["show", "alpha"]);
    assert!(
        out.starts_with("cohort        alpha\ncontent hash  cohortdb-v1:"),
        "{out}"
    );
    assert!(
        out.contains("members       4 drafts, 8 essays, 16 evaluations\n"),
        "{out}"
    );
    assert!(
        out.contains("spec files    config.yaml, items/essays.csv\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "  evaluation  template_id        2        8        8   1.00  eval-1=8 eval-2=8\n"
        ),
        "{out}"
    );
    let json = validate("show.schema.json", &s.ok(&["show", "alpha", "--json"]));
    // Every number of the balance table equals a count over the membership view.
    for stage in json["balance"].as_array().unwrap() {
        for axis in stage["axes"].as_array().unwrap() {
            let column = axis["axis"].as_str().unwrap();
            let csv = s.query(&format!(
                "select {column} as level, count(*) as n from membership \
                 where cohort_id = 'alpha' and stage = '{}' group by 1 order by 1",
                stage["stage"].as_str().unwrap()
            ));
            let mut expected: Vec<(String, u64)> = csv
                .lines()
                .skip(1)
                .map(|l| {
                    let (level, n) = l.rsplit_once(',').unwrap();
                    (level.to_string(), n.parse().unwrap())
                })
                .collect();
            let mut got: Vec<(String, u64)> = axis["levels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l["level"].as_str().unwrap().to_string(),
                        l["members"].as_u64().unwrap(),
                    )
                })
                .collect();
            expected.sort();
            got.sort();
            assert_eq!(got, expected, "{column} of {}", stage["stage"]);
        }
    }
}

#[test]
fn an_unbalanced_axis_is_marked() {
    let s = Sandbox::baseline();
    s.write(
        "gamma/config.yaml",
        "axes:
  combo_id: [combo-1, combo-2]
  draft_template: [draft-A]
  draft_llm: [gen-a, gen-b]
  draft_replicate: ['1']
  essay_template: [essay-X]
  essay_llm: [gen-a]
  evaluation_template: [eval-1]
  evaluation_llm: [judge]
rules:
  pairs:
    drafting:
      left: combo_id
      right: draft_llm
      allowed: [[combo-1, gen-a], [combo-1, gen-b], [combo-2, gen-a]]
output: {field_order: []}
",
    );
    s.ok(&["build", "gamma", "--spec", "gamma/config.yaml", "-q"]);
    let out = s.ok(&["show", "gamma"]);
    assert!(
        out.contains(
            "! draft       combo_id           2        1        2   2.00  combo-1=2 combo-2=1\n"
        ),
        "{out}"
    );
    assert!(out.contains("\n! unbalanced: "), "{out}");
    assert!(!out.contains('\x1b'), "no colour outside a terminal");
    let json = validate(
        "show.schema.json",
        &s.ok(&["show", "gamma", "--format", "json"]),
    );
    let combo = &json["balance"][0]["axes"][0];
    assert_eq!(
        (combo["balanced"].as_bool(), combo["ratio"].as_f64()),
        (Some(false), Some(2.0))
    );
}

#[test]
fn show_spec_prints_the_stored_config_and_spec_out_never_overwrites() {
    let s = exported();
    let stored = s.read("data/cohorts/alpha/spec/config.yaml");
    // The stored spec, even after the file on disk changed.
    s.write("data/cohorts/alpha/spec/config.yaml", "edited\n");
    assert_eq!(s.ok(&["show", "alpha", "--spec"]), stored);
    let out = s.ok(&["show", "alpha", "--spec-out", "restored"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert_eq!(s.read("restored/config.yaml"), stored);
    assert!(s.path("restored/items/essays.csv").is_file());
    s.write("again/items/essays.csv", "mine\n");
    let err = s.fails(&["show", "alpha", "--spec-out", "again"]);
    assert!(
        err.contains("already holds 1 of the spec's files; nothing was written"),
        "{err}"
    );
    assert_eq!(s.read("again/items/essays.csv"), "mine\n");
    assert!(!s.path("again/config.yaml").exists());
    assert!(s.fails(&["show", "nope"]).contains("no cohort \"nope\""));
}

#[test]
fn completions_and_man_page_come_from_the_clap_definitions() {
    let s = Sandbox::empty();
    for shell in ["bash", "zsh", "fish"] {
        let out = s.ok(&["completions", shell]);
        assert!(
            out.contains("status") && out.contains("--spec-out"),
            "{shell}"
        );
    }
    let man = s.ok(&["man"]);
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq") || man.contains(".TH cohortdb"),
        "{man}"
    );
    assert!(man.contains("status") && man.contains("show"));
    for section in [
        "\n.SH \"EXIT STATUS\"\n",
        "\n.SH ENVIRONMENT\n",
        "\n.SH FILES\n",
    ] {
        assert!(man.contains(section), "{section}");
    }
    let build = s.ok(&["man", "build"]);
    assert!(build.contains(".TH cohortdb-build 1") && build.contains("\\-\\-seed"));
    assert!(build.contains("\n.SH \"EXIT STATUS\"\n"));
    assert!(
        s.ok(&["man", "migrate", "legacy"])
            .contains(".TH cohortdb-migrate-legacy 1")
    );
    let err = s.fails(&["man", "nope"]);
    assert!(err.contains("no command \"nope\""), "{err}");
    // --out writes every page the main page lists.
    let out = s.ok(&["man", "--out", s.path("").to_str().unwrap()]);
    let mut sub = clap_names(&man);
    assert!(sub.len() >= 19, "{sub:?}");
    sub.sort();
    for name in sub {
        let page = s.path(&format!("cohortdb-{name}.1"));
        assert!(page.is_file(), "{} missing: {out}", page.display());
    }
    assert!(s.path("cohortdb.1").is_file() && s.path("cohortdb-migrate-legacy.1").is_file());
    s.fails(&["completions", "tcsh"]);
    assert!(!s.db().exists());
}

#[test]
fn an_unknown_cohort_id_suggests_the_nearest_stored_one() {
    let s = Sandbox::baseline();
    for args in [
        &["show", "alpah"][..],
        &["export", "alph"],
        &["verify", "Alpha"],
        &["diff", "alpah", "alpha"],
        &["show", "alpah", "--spec"],
    ] {
        let err = s.fails(args);
        assert!(
            err.contains("hint: did you mean \"alpha\"?"),
            "{args:?}: {err}"
        );
    }
    // Nothing near: no suggestion.
    let err = s.fails(&["show", "zzzzzz"]);
    assert!(!err.contains("did you mean"), "{err}");
}

/// The commands the main man page lists (its `.TP` entries of the form `cohortdb\-NAME(1)`).
fn clap_names(man: &str) -> Vec<String> {
    man.lines()
        .filter_map(|l| l.strip_prefix("cohortdb\\-"))
        .filter_map(|l| l.split('(').next())
        .map(|n| n.replace("\\-", "-"))
        .collect()
}
