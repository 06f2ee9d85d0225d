//! `cohortdb diff A B`: stored cohorts and spec folders compared, read-only.

mod support;

use std::collections::BTreeSet;

use support::Sandbox;
use support::schema::validate;

fn diff(s: &Sandbox, args: &[&str]) -> (i32, String) {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    s.verdict(&all)
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

/// The baseline (alpha built), then an append-only import adding a draft template with a body,
/// an LLM and a combo whose concept `waves` has no concept row yet; cohort `beta` built from
/// `beta-spec/` (alpha's spec on those), then the concept row of `waves` imported.
fn catalog_scenario() -> Sandbox {
    let s = Sandbox::baseline();
    let append = |rel: &str, line: &str| {
        let text = s.read(rel);
        s.write(rel, format!("{text}{line}\n"));
    };
    append(
        "data/1_raw/draft_templates.csv",
        "draft-C,Draft C,Third draft,,llm",
    );
    s.write(
        "data/1_raw/templates/draft/draft-C.txt",
        "Write a draft about {concepts}.\nThen stop.\n",
    );
    append(
        "data/1_raw/llm_models.csv",
        "gen-c,vendor/gen-c,vendor,Gen C,general",
    );
    append("data/combo_mappings.csv", "combo-3,v1,waves,sentence,1,");
    s.ok(&["import", "-q"]);
    let config = s
        .read("data/cohorts/alpha/spec/config.yaml")
        .replace("[combo-1, combo-2]", "[combo-1, combo-3]")
        .replace("draft_template: [draft-A]", "draft_template: [draft-C]")
        .replace("draft_llm: [gen-a]", "draft_llm: [gen-c]");
    s.write("beta-spec/config.yaml", config);
    s.write(
        "beta-spec/items/essays.csv",
        s.read("data/cohorts/alpha/spec/items/essays.csv"),
    );
    s.ok(&["build", "beta", "--spec", "beta-spec", "-q"]);
    append("data/1_raw/concepts_metadata.csv", "waves,Ocean Waves");
    s.ok(&["import", "-q"]);
    s
}

/// The `catalog rows referenced:` section of a text report, up to the first member line.
fn catalog_section(text: &str) -> String {
    text.lines()
        .skip_while(|l| *l != "catalog rows referenced:")
        .take_while(|l| !l.starts_with("- ") && !l.starts_with("+ "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn the_catalog_rows_only_one_side_references_are_listed() {
    let s = catalog_scenario();
    let before = s.store_digest();
    let (code, text) = diff(&s, &["alpha", "beta"]);
    assert_eq!(code, 1);
    assert_eq!(
        catalog_section(&text),
        "catalog rows referenced:
  templates          5 -> 5          +1 -1 ~0
  llm_models         2 -> 3          +1 -0 ~0
  combo_mappings     3 -> 3          +1 -1 ~0
  concepts           2 -> 2          +0 -0 ~0
  replication        3 -> 3          +0 -0 ~0
  - templates stage=draft template_id=draft-A  (no longer referenced)
  + templates stage=draft template_id=draft-C  (newly referenced)
  + llm_models id=gen-c  (newly referenced)
  - combo_mappings combo_id=combo-2 concept_id=markets  (no longer referenced)
  + combo_mappings combo_id=combo-3 concept_id=waves  (newly referenced)
"
    );
    let (code, out) = diff(&s, &["alpha", "beta", "--json"]);
    assert_eq!(code, 1);
    let json = validate("diff.schema.json", &out);
    assert_eq!(json["catalog_digest_differs"], true);
    assert_eq!(json["catalog_digest_mismatch"], serde_json::json!([]));
    assert_eq!(
        json["catalog_tables"][2],
        serde_json::json!(
            {"table": "combo_mappings", "a": 3, "b": 3, "added": 1, "removed": 1, "changed": 0}
        )
    );
    let rows = json["catalog_rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    // Only in A: its row, in full.
    assert_eq!(
        rows[0],
        serde_json::json!({
            "change": "removed",
            "table": "templates",
            "key": {"stage": "draft", "template_id": "draft-A"},
            "row": {
                "template_name": "Draft A",
                "description": "First draft template",
                "parser": "",
                "generator": "llm",
                "extra": null,
                "body": s.read("data/1_raw/templates/draft/draft-A.txt"),
            },
        })
    );
    // Only in B, with its body in full.
    assert_eq!(rows[1]["change"], "added");
    assert_eq!(
        rows[1]["row"]["body"],
        "Write a draft about {concepts}.\nThen stop.\n"
    );
    assert_eq!(
        rows[2],
        serde_json::json!({
            "change": "added",
            "table": "llm_models",
            "key": {"id": "gen-c"},
            "row": {
                "model": "vendor/gen-c",
                "provider": "vendor",
                "display_name": "Gen C",
                "specialization": "general",
                "extra": null,
            },
        })
    );
    assert_eq!(
        rows[3]["key"],
        serde_json::json!({"combo_id": "combo-2", "concept_id": "markets"})
    );
    // The other direction swaps added and removed.
    let (_, back) = diff(&s, &["beta", "alpha", "--json"]);
    let back = validate("diff.schema.json", &back);
    let changes: Vec<&str> = back["catalog_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["added", "removed", "removed", "added", "removed"]);
    assert_eq!(s.store_digest(), before, "diff writes nothing");
}

#[test]
fn a_row_imported_after_a_build_is_newly_referenced_by_its_spec_now() {
    // beta was built before the concept row of `waves` existed; its spec built now (in the
    // scratch store, as of the newest batch) references that row too, and nothing else differs.
    let s = catalog_scenario();
    let (code, text) = diff(&s, &["beta", "beta-spec"]);
    assert_eq!(code, 1);
    assert_eq!(
        text,
        "--- beta
+++ beta-spec
members:
  draft              4 -> 4          +0 -0
  essay              8 -> 8          +0 -0
  evaluation        16 -> 16         +0 -0
catalog rows referenced:
  templates          5 -> 5          +0 -0 ~0
  llm_models         3 -> 3          +0 -0 ~0
  combo_mappings     3 -> 3          +0 -0 ~0
  concepts           2 -> 3          +1 -0 ~0
  replication        3 -> 3          +0 -0 ~0
  + concepts concept_id=waves  (newly referenced)
"
    );
    let (_, out) = diff(&s, &["beta", "beta-spec", "--json"]);
    let json = validate("diff.schema.json", &out);
    assert_eq!(json["identical"], false);
    assert_eq!(
        json["catalog_rows"],
        serde_json::json!([{
            "change": "added",
            "table": "concepts",
            "key": {"concept_id": "waves"},
            "row": {
                "name": "Ocean Waves",
                "extra": null,
                "description_sentence": null,
                "description_paragraph": null,
                "description_article": null,
            },
        }])
    );
}

#[test]
fn stat_counts_catalog_rows_without_listing_them() {
    let s = catalog_scenario();
    let (code, text) = diff(&s, &["alpha", "beta", "--stat"]);
    assert_eq!(code, 1);
    assert!(
        text.ends_with(
            "catalog rows referenced:
  templates          5 -> 5          +1 -1 ~0
  llm_models         2 -> 3          +1 -0 ~0
  combo_mappings     3 -> 3          +1 -1 ~0
  concepts           2 -> 2          +0 -0 ~0
  replication        3 -> 3          +0 -0 ~0
"
        ),
        "{text}"
    );
    let (_, out) = diff(&s, &["alpha", "beta", "--stat", "--json"]);
    let json = validate("diff.schema.json", &out);
    assert_eq!(json["catalog_rows"], serde_json::json!([]));
    let added: Vec<u64> = json["catalog_tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["added"].as_u64().unwrap())
        .collect();
    assert_eq!(added, [1, 1, 1, 0, 0]);
}

#[test]
fn catalog_rows_changed_outside_cohortdb_are_named_by_the_digest() {
    // Catalog rows never change (D9), so a row both sides reference reads the same for both:
    // an edit behind cohortdb's back shows as A's rows no longer hashing to A's record.
    let s = Sandbox::baseline();
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch(
        "drop trigger catalog_templates_no_update;
         update catalog_templates set description = 'Novelty, edited' where template_id = 'eval-1'",
    )
    .unwrap();
    drop(conn);
    let (code, text) = diff(&s, &["alpha", "data/cohorts/alpha/spec"]);
    assert_eq!(code, 1);
    assert!(
        text.ends_with(
            "  replication        3 -> 3          +0 -0 ~0
  the catalog digests differ, but the rows as the store holds them now do not
note: the catalog rows A (alpha) references no longer hash to its record's catalog digest: \
they were changed outside cohortdb (see `cohortdb verify alpha`)
"
        ),
        "{text}"
    );
    let (_, out) = diff(&s, &["alpha", "data/cohorts/alpha/spec", "--json"]);
    let json = validate("diff.schema.json", &out);
    assert_eq!(json["catalog_digest_differs"], true);
    assert_eq!(json["catalog_rows"], serde_json::json!([]));
    assert_eq!(json["catalog_digest_mismatch"], serde_json::json!(["a"]));
    // The same cohort on both sides is identical, with the note for each side.
    let (code, text) = diff(&s, &["alpha", "alpha"]);
    assert_eq!(code, 0);
    assert_eq!(text.matches("note: the catalog rows").count(), 2, "{text}");
}

#[test]
fn a_referenced_row_deleted_outside_cohortdb_is_reported_not_an_error() {
    let s = catalog_scenario();
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch(
        "drop trigger catalog_templates_no_delete;
         delete from catalog_templates where template_id = 'draft-A'",
    )
    .unwrap();
    drop(conn);
    let (code, out) = diff(&s, &["alpha", "beta", "--json"]);
    assert_eq!(code, 1);
    let json = validate("diff.schema.json", &out);
    assert_eq!(json["catalog_digest_mismatch"], serde_json::json!(["a"]));
    // draft-A has no row any more: only draft-C differs among the templates.
    assert_eq!(
        json["catalog_tables"][0],
        serde_json::json!(
            {"table": "templates", "a": 4, "b": 5, "added": 1, "removed": 0, "changed": 0}
        )
    );
}

#[test]
fn a_key_with_an_invisible_character_is_printed_escaped() {
    // D20: a key that holds a format character must not print like the plain id it imitates.
    // Import refuses such ids, so the row is added behind cohortdb's back, in a newer batch
    // that only the spec built now sees.
    let s = Sandbox::baseline();
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch(
        "insert into import_batches
             select (select max(batch_id) + 1 from import_batches), catalog, source_path,
                    source_blake3, header, imported_at, 1
             from import_batches where catalog = 'combo-mappings';
         insert into catalog_combo_mappings
             select 'combo-1', 'ti' || char(8203) || 'des', version, description_level, k_max,
                    created_at, extra, (select max(batch_id) from import_batches), 99
             from catalog_combo_mappings where combo_id = 'combo-1' limit 1",
    )
    .unwrap();
    drop(conn);
    let (code, text) = diff(&s, &["alpha", "data/cohorts/alpha/spec"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(
            "  + combo_mappings combo_id=combo-1 concept_id=\"ti\\u{200b}des\"  (newly referenced)\n"
        ),
        "{text}"
    );
}
