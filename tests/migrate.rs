//! `cohortdb migrate` and `cohortdb catalog strip-active` through the real binary: round trips
//! on the repository's fixture cohort, the three legacy modes on `tests/fixtures/legacy`, and
//! every error a user can trigger.

mod support;

use support::{Sandbox, copy_tree, fixtures};

/// A sandbox whose data root is the legacy base root plus a mode's overlay.
fn legacy(mode: Option<&str>) -> Sandbox {
    let sandbox = Sandbox::empty();
    copy_tree(&fixtures().join("legacy/base"), &sandbox.path("data"));
    if let Some(mode) = mode {
        copy_tree(&fixtures().join("legacy").join(mode), &sandbox.path("data"));
    }
    sandbox
}

/// Compares with `tests/fixtures/legacy/expected/<name>`, or writes it with SNAPSHOTS=overwrite.
fn snapshot(name: &str, actual: &str) {
    let path = fixtures().join("legacy/expected").join(name);
    if std::env::var("SNAPSHOTS").as_deref() == Ok("overwrite") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (SNAPSHOTS=overwrite writes it)", path.display()));
    assert_eq!(actual, expected, "{} differs", path.display());
}

/// The fixture cohort `alpha`, built and exported.
fn exported_alpha() -> Sandbox {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import"]);
    sandbox.ok(&["build", "alpha"]);
    sandbox.ok(&["export", "alpha"]);
    sandbox
}

#[test]
fn a_migrated_membership_rebuilds_the_same_membership_line_for_line() {
    let sandbox = exported_alpha();
    let out = sandbox.ok(&[
        "migrate",
        "membership",
        "alpha",
        "--out",
        "data/cohorts/alpha-migrated/spec",
        "--check",
    ]);
    assert!(
        out.contains("items/cohort_rows.csv    16 rows, one per evaluation"),
        "{out}"
    );
    assert!(
        out.contains("the same 28 members as membership.csv, in the same order"),
        "{out}"
    );
    assert!(out.ends_with("  result: ok\n"), "{out}");
    let config = sandbox.read("data/cohorts/alpha-migrated/spec/config.yaml");
    assert!(!config.contains("\naxes:"), "no explicit axes:\n{config}");
    assert!(
        config.contains("items: \"@file:items/cohort_rows.csv\""),
        "{config}"
    );
    sandbox.ok(&["build", "alpha-migrated"]);
    sandbox.ok(&["export", "alpha-migrated"]);
    assert_eq!(
        sandbox.read("data/cohorts/alpha-migrated/membership.csv"),
        sandbox.read("data/cohorts/alpha/membership.csv")
    );
    sandbox.ok(&["verify", "alpha-migrated"]);
}

#[test]
fn an_existing_spec_folder_is_refused_unless_forced() {
    let sandbox = exported_alpha();
    let before = sandbox.read("data/cohorts/alpha/spec/config.yaml");
    let err = sandbox.fails(&["migrate", "membership", "alpha"]);
    assert!(err.contains("spec directory already exists"), "{err}");
    // What happened, then what to do: the hint is the last line, as in every error.
    assert!(
        err.ends_with(
            "  nothing was written\n  hint: --force replaces it; --out DIR writes elsewhere\n"
        ),
        "{err}"
    );
    assert_eq!(sandbox.read("data/cohorts/alpha/spec/config.yaml"), before);
    sandbox.ok(&["migrate", "membership", "alpha", "--force"]);
    assert!(
        sandbox
            .path("data/cohorts/alpha/spec/items/cohort_rows.csv")
            .exists()
    );
    assert!(
        !sandbox
            .path("data/cohorts/alpha/spec/items/essays.csv")
            .exists(),
        "the old folder was replaced as a whole"
    );
}

/// The gens folder of the sandbox's fixture cohort: stage → ids in membership order.
fn members(sandbox: &Sandbox, cohort: &str) -> Vec<(String, String)> {
    sandbox
        .read(&format!("data/cohorts/{cohort}/membership.csv"))
        .lines()
        .skip(1)
        .map(|l| {
            let (s, id) = l.split_once(',').unwrap();
            (s.to_string(), id.to_string())
        })
        .collect()
}

#[test]
fn membership_errors_name_the_file_and_the_value() {
    let sandbox = exported_alpha();
    let list = members(&sandbox, "alpha");
    let membership = "data/cohorts/alpha/membership.csv";
    let original = sandbox.read(membership);
    let migrate = ["migrate", "membership", "alpha", "--out", "out/spec"];

    let err = sandbox.fails(&["migrate", "membership", "nope", "--out", "out/spec"]);
    assert!(err.contains("nope/membership.csv: no such file"), "{err}");

    sandbox.write(membership, original.replace("stage,gen_id", "stage,id"));
    let err = sandbox.fails(&migrate);
    assert!(
        err.contains(":1: membership.csv missing columns: [\"gen_id\"]"),
        "{err}"
    );

    sandbox.write(membership, original.replacen("\ndraft,", "\ndrafts,", 1));
    let err = sandbox.fails(&migrate);
    assert!(err.contains(":2:1: unknown stage \"drafts\""), "{err}");

    sandbox.write(membership, original.replacen(&list[0].1, "", 1));
    let err = sandbox.fails(&migrate);
    assert!(
        err.contains(":2:2: missing value for draft.gen_id"),
        "{err}"
    );

    // A member without metadata.
    sandbox.write(membership, &original);
    let (stage, id) = &list[list.len() - 1];
    let meta = format!("data/gens/{stage}/{id}/metadata.json");
    let saved = sandbox.read(&meta);
    std::fs::remove_file(sandbox.path(&meta)).unwrap();
    let err = sandbox.fails(&migrate);
    assert!(
        err.contains(&format!("metadata missing for evaluation gen_id {id}")),
        "{err}"
    );
    sandbox.write(&meta, "{\"replicate\": \"x\"");
    let err = sandbox.fails(&migrate);
    assert!(err.contains("metadata.json: not valid JSON"), "{err}");
    sandbox.write(&meta, &saved);

    // An evaluation whose essay is not in the membership.
    let essay = list.iter().find(|(s, _)| s == "essay").unwrap();
    sandbox.write(
        membership,
        original.replace(&format!("essay,{}\n", essay.1), ""),
    );
    let err = sandbox.fails(&migrate);
    assert!(
        err.contains(&format!(
            "its parent essay {} is not in the membership",
            essay.1
        )),
        "{err}"
    );

    // A cohort without evaluations, and a draft no evaluation reaches.
    sandbox.write(membership, format!("stage,gen_id\ndraft,{}\n", list[0].1));
    let err = sandbox.fails(&migrate);
    assert!(err.contains("cohort has no evaluation rows"), "{err}");
    sandbox.write(
        "data/gens/draft/d_extra/metadata.json",
        r#"{"combo_id": "combo-1", "template_id": "draft-A", "llm_model_id": "gen-b"}"#,
    );
    sandbox.write(
        membership,
        original.replacen("stage,gen_id\n", "stage,gen_id\ndraft,d_extra\n", 1),
    );
    let err = sandbox.fails(&migrate);
    assert!(
        err.contains(
            "1 member of the membership has no evaluation, so a migrated spec would drop it"
        ),
        "{err}"
    );
    assert!(err.contains("\n  draft d_extra\n"), "{err}");
    assert!(!sandbox.path("out").exists(), "nothing was written");
}

#[test]
fn legacy_ids_are_listed_and_kept_only_with_allow_new_ids() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["import"]);
    let legacy_draft = "43ftibqi56628az1";
    sandbox.write(
        "data/cohorts/old/membership.csv",
        format!("stage,gen_id\ndraft,{legacy_draft}\nessay,e_old\nevaluation,v_old\n"),
    );
    sandbox.write(
        &format!("data/gens/draft/{legacy_draft}/metadata.json"),
        r#"{"stage": "draft", "combo_id": "combo-1", "template_id": "draft-A", "llm_model_id": "gen-a"}"#,
    );
    sandbox.write(
        "data/gens/essay/e_old/metadata.json",
        format!(r#"{{"template_id": "essay-X", "parent_gen_id": "{legacy_draft}", "llm_model_id": "gen-a"}}"#),
    );
    sandbox.write(
        "data/gens/evaluation/v_old/metadata.json",
        r#"{"template_id": "eval-1", "parent_gen_id": "e_old", "llm_model_id": "judge", "replicate": 2}"#,
    );
    let err = sandbox.fails(&["migrate", "membership", "old"]);
    assert!(err.contains("3 members cannot keep their gen_id"), "{err}");
    assert!(
        err.contains(&format!("draft {legacy_draft} would become d_")),
        "{err}"
    );
    assert!(
        err.contains("(a legacy id, not derived from its values)"),
        "{err}"
    );
    assert!(err.contains("(its parent's id changes)"), "{err}");
    assert!(!sandbox.path("data/cohorts/old/spec").exists());

    let out = sandbox.ok(&["migrate", "membership", "old", "--allow-new-ids", "--check"]);
    assert!(out.contains("3 members with new gen_ids"), "{out}");
    assert!(out.contains("(with 3 new gen_ids)"), "{out}");
    let map = sandbox.read("data/cohorts/old/spec/gen_id_map.csv");
    assert!(
        map.starts_with(&format!(
            "stage,old_gen_id,new_gen_id\ndraft,{legacy_draft},d_"
        )),
        "{map}"
    );
    assert_eq!(map.lines().count(), 4);
}

fn legacy_round_trip(mode: Option<&str>, snapshot_name: &str) -> Sandbox {
    let sandbox = legacy(mode);
    let out = sandbox.ok(&["migrate", "legacy", "pilot", "--check"]);
    assert!(out.ends_with("  result: ok\n"), "{out}");
    snapshot(
        &format!("{snapshot_name}.yaml"),
        &sandbox.read("data/cohorts/pilot/spec/config.yaml"),
    );
    // The migrated root then goes the normal way: strip the flags, import, build, export,
    // verify; the build has exactly the members the check proved.
    let err = sandbox.fails(&["import"]);
    assert!(err.contains("cohortdb migrate legacy"), "{err}");
    sandbox.ok(&["catalog", "strip-active"]);
    sandbox.ok(&["import"]);
    sandbox.ok(&["build", "pilot"]);
    sandbox.ok(&["export", "pilot"]);
    sandbox.ok(&["verify", "pilot", "--store-only"]);
    // Legacy metadata.json files that the members keep (naming the legacy cohort as their
    // origin, or in an older layout) were recorded by the migration: a full verify is clean
    // (D24).
    let (code, out) = sandbox.verdict(&["verify", "pilot"]);
    assert_eq!(code, 0, "{out}");
    sandbox
}

#[test]
fn legacy_cartesian_mode_migrates_builds_and_checks() {
    let sandbox = legacy_round_trip(None, "cartesian");
    // combo = the single-combo rule's (tides, markets); 2 draft reps; essays X, Y; eval-1 ×
    // judge × 2 reps.
    let rows = sandbox.query("select stage, count(*) from membership where cohort_id = 'pilot' group by stage order by min(ordinal)");
    assert_eq!(rows, "stage,count(*)\ndraft,2\nessay,4\nevaluation,8\n");
    let combos = sandbox.read("data/combo_mappings.csv");
    assert!(combos.contains(",v1,markets,paragraph,6,"), "{combos}");
    assert!(combos.contains(",v1,tides,paragraph,6,"), "{combos}");
}

#[test]
fn legacy_cartesian_mode_reads_selected_combo_mappings() {
    let sandbox = legacy(None);
    sandbox.write(
        "data/2_tasks/selected_combo_mappings.csv",
        "combo_id,version,concept_id,description_level,k_max,created_at\ncombo-1,v1,tides,paragraph,2,\ncombo-1,v1,markets,paragraph,2,\n",
    );
    let before = sandbox.read("data/combo_mappings.csv");
    let out = sandbox.ok(&["migrate", "legacy", "pilot", "--check"]);
    assert!(out.contains("result: ok"), "{out}");
    assert_eq!(
        sandbox.read("data/combo_mappings.csv"),
        before,
        "no combo appended"
    );
    let config = sandbox.read("data/cohorts/pilot/spec/config.yaml");
    assert!(config.contains("  combo_id: [\"combo-1\"]\n"), "{config}");
}

#[test]
fn legacy_curated_drafts_mode_migrates_builds_and_checks() {
    let sandbox = legacy_round_trip(Some("curated-drafts"), "curated-drafts");
    let (_, verify) = sandbox.verdict(&["verify", "pilot"]);
    assert!(
        verify.contains(
            "(2 kept as recorded when the cohort was migrated, see docs/decisions.md#d24)"
        ),
        "{verify}"
    );
    let ids = sandbox.query(
        "select gen_id from membership where cohort_id = 'pilot' and stage = 'draft' order by ordinal",
    );
    assert_eq!(ids, "gen_id\nd_agoots5ys4g42xz\nd_eyl930i97dk8gxh\n");
}

#[test]
fn legacy_curated_essays_mode_migrates_builds_and_checks() {
    let sandbox = legacy_round_trip(Some("curated-essays"), "curated-essays");
    let ids = sandbox.query(
        "select stage, gen_id from membership where cohort_id = 'pilot' and stage != 'evaluation' order by ordinal",
    );
    assert_eq!(
        ids,
        "stage,gen_id\ndraft,d_agoots5ys4g42xz\ndraft,d_eyl930i97dk8gxh\nessay,e_5bpfvnyilmrelglp\nessay,e_2g7rr5n3gmfok7cz\n"
    );
    // The existing evaluation (replicate 1) is reused by id: it is a member.
    let reused =
        sandbox.query("select count(*) from membership where gen_id = 'v_ctc71947cracchj'");
    assert_eq!(reused, "count(*)\n1\n");
}

/// The legacy metadata.json files of a migrated curated-essays cohort (D24): drafts and an
/// evaluation naming the legacy cohort, and an essay in an older layout.
const LEGACY_DRAFT: &str = "data/gens/draft/d_agoots5ys4g42xz/metadata.json";
const LEGACY_ESSAY: &str = "data/gens/essay/e_2g7rr5n3gmfok7cz/metadata.json";

#[test]
fn a_migrated_cohort_verifies_and_a_tampered_one_does_not() {
    let sandbox = legacy_round_trip(Some("curated-essays"), "curated-essays");
    // What the migration recorded: the five kept files, with their origin.
    assert_eq!(
        sandbox.query(
            "select stage, gen_id, origin_cohort_id, migrated_as, length(file_blake3) as n \
             from legacy_origins order by stage, gen_id"
        ),
        "stage,gen_id,origin_cohort_id,migrated_as,n\n\
         0,d_agoots5ys4g42xz,old-pilot,pilot,32\n0,d_eyl930i97dk8gxh,old-pilot,pilot,32\n\
         1,e_2g7rr5n3gmfok7cz,old-pilot,pilot,32\n1,e_5bpfvnyilmrelglp,old-pilot,pilot,32\n\
         2,v_ctc71947cracchj,old-pilot,pilot,32\n"
    );
    let (code, out) = sandbox.verdict(&["verify", "--all"]);
    assert_eq!(code, 0, "{out}");
    let clean = |sandbox: &Sandbox| {
        let (code, out) = sandbox.verdict(&["verify", "pilot"]);
        assert_eq!(code, 0, "{out}");
    };
    // Each tampering is a difference, and undoing it makes the cohort clean again.
    let tampered: &[(&str, &str, &str, &str)] = &[
        // Another origin than the recorded one.
        (
            LEGACY_DRAFT,
            "\"old-pilot\"",
            "\"old-other\"",
            "origin_cohort_id \"old-other\" is not a stored cohort",
        ),
        // Any field of a file in the older layout (its exact bytes were recorded).
        (
            LEGACY_ESSAY,
            "\"replicate\": \"1\"",
            "\"replicate\": \"01\"",
            "replicate is \"01\"",
        ),
        (
            LEGACY_ESSAY,
            "\"mode\": \"copy\"",
            "\"mode\": \"llm\"",
            "e_2g7rr5n3gmfok7cz/metadata.json: ",
        ),
        // A field of a file in the current layout, origin kept.
        (
            LEGACY_DRAFT,
            "\"combo_id\": \"combo-1\"",
            "\"combo_id\": \"combo-2\"",
            "combo_id is \"combo-2\"",
        ),
    ];
    for (file, from, to, expect) in tampered {
        let before = sandbox.read(file);
        assert!(before.contains(from), "{file}: {before}");
        sandbox.write(file, before.replace(from, to));
        let (code, out) = sandbox.verdict(&["verify", "pilot"]);
        assert_eq!(code, 1, "{to}: {out}");
        assert!(out.contains(expect), "{to}: {out}");
        sandbox.write(file, before);
        clean(&sandbox);
    }
    // The same bytes recorded for another generation do not vouch for this one.
    let essay = sandbox.read(LEGACY_ESSAY);
    let other = "data/gens/essay/e_5bpfvnyilmrelglp/metadata.json";
    let kept = sandbox.read(other);
    sandbox.write(other, &essay);
    let (code, out) = sandbox.verdict(&["verify", "pilot"]);
    assert_eq!(code, 1, "{out}");
    sandbox.write(other, kept);
    clean(&sandbox);
    // The record is append-only; a row removed behind cohortdb's back is a difference again.
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    for statement in [
        "update legacy_origins set origin_cohort_id = 'old-other'",
        "delete from legacy_origins",
    ] {
        let err = conn
            .execute_batch(statement)
            .expect_err(statement)
            .to_string();
        assert!(err.contains("legacy_origins is append-only"), "{err}");
    }
    conn.execute_batch(
        "drop trigger legacy_origins_no_delete;
         delete from legacy_origins where gen_id = 'e_2g7rr5n3gmfok7cz'",
    )
    .unwrap();
    drop(conn);
    let (code, out) = sandbox.verdict(&["verify", "pilot"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("essay_template is \"essay-Y\""), "{out}");
}

#[test]
fn migrate_records_legacy_metadata_only_when_it_writes_the_spec() {
    // Nothing kept from legacy generations: no store is made.
    let sandbox = legacy(None);
    sandbox.ok(&["migrate", "legacy", "pilot"]);
    assert!(!sandbox.db().exists());
    // A refused migration (the spec folder exists) records nothing and makes no store.
    let sandbox = legacy(Some("curated-drafts"));
    sandbox.write("data/cohorts/pilot/spec/config.yaml", "kept");
    let err = sandbox.fails(&["migrate", "legacy", "pilot"]);
    assert!(err.contains("exists"), "{err}");
    assert!(!sandbox.db().exists());
    // A store that cannot take the record refuses the migration: nothing is written.
    std::fs::remove_dir_all(sandbox.path("data/cohorts")).unwrap();
    sandbox.write("cohorts.db", "not a store");
    std::fs::rename(sandbox.path("cohorts.db"), sandbox.db()).unwrap();
    let err = sandbox.fails(&["migrate", "legacy", "pilot"]);
    assert!(err.contains("not an SQLite database"), "{err}");
    assert!(!sandbox.path("data/cohorts/pilot").exists());
    assert_eq!(std::fs::read(sandbox.db()).unwrap(), b"not a store");
    // Migrating twice records each file once.
    std::fs::remove_file(sandbox.db()).unwrap();
    sandbox.ok(&["migrate", "legacy", "pilot"]);
    sandbox.ok(&["migrate", "legacy", "pilot", "--force"]);
    assert_eq!(
        sandbox.query("select count(*) as n from legacy_origins"),
        "n\n2\n"
    );
}

#[test]
fn disk_probing_the_spec_cannot_express_is_said_and_checked() {
    let sandbox = legacy(Some("curated-drafts"));
    // An earlier run left the essay-X replicate-1 essay of the first draft (this is its
    // deterministic id): the legacy allocator would start that key at replicate 2.
    let earlier = "e_5bpfvnyilmrelglp";
    sandbox.write(&format!("data/gens/essay/{earlier}/.keep"), "");
    let out = sandbox.run(&["migrate", "legacy", "pilot", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(
            "note: not expressible exactly on this data root: 1 essay and 0 evaluation allocations"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("result: differs"), "{stdout}");
    assert!(
        stdout.contains(&format!("+ essay      {earlier}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("- essay      e_1kuihtjkca6ud3fb"),
        "{stdout}"
    );
    let config = sandbox.read("data/cohorts/pilot/spec/config.yaml");
    assert!(
        config.contains("# On this data root they differ"),
        "{config}"
    );
}

#[test]
fn an_earlier_legacy_membership_points_at_migrate_membership() {
    let sandbox = legacy(None);
    sandbox.write("data/cohorts/pilot/membership.csv", "stage,gen_id\n");
    let out = sandbox.ok(&["migrate", "legacy", "pilot"]);
    assert!(
        out.contains("cohorts/pilot/membership.csv exists: the legacy flow already ran for this cohort; `cohortdb migrate membership pilot` reproduces exactly what it produced"),
        "{out}"
    );
}

#[test]
fn legacy_errors_name_the_file_and_the_value() {
    let sandbox = legacy(Some("curated-drafts"));
    sandbox.write("data/2_tasks/selected_essays.txt", "e_x\n");
    let err = sandbox.fails(&["migrate", "legacy", "pilot"]);
    assert!(err.contains("multiple_curated_inputs"), "{err}");
    std::fs::remove_file(sandbox.path("data/2_tasks/selected_drafts.txt")).unwrap();

    let err = sandbox.fails(&["migrate", "legacy", "pilot"]);
    assert!(err.contains("essay_metadata_missing: essay e_x"), "{err}");
    sandbox.write("data/2_tasks/selected_essays.txt", "d_agoots5ys4g42xz\n");
    let err = sandbox.fails(&["migrate", "legacy", "pilot"]);
    assert!(err.contains("curated_essay_is_draft"), "{err}");
    // A BOM: the legacy flow kept it in the first id and found no metadata (D20).
    sandbox.write("data/2_tasks/selected_essays.txt", "\u{feff}e_x\r\ne_y\r\n");
    let err = sandbox.fails(&["migrate", "legacy", "pilot"]);
    assert!(
        err.contains(
            "selected_essays.txt:1: the list starts with a byte order mark (U+FEFF): the legacy \
             flow kept it as part of the first id, \"\\u{feff}e_x\""
        ),
        "{err}"
    );
    std::fs::remove_file(sandbox.path("data/2_tasks/selected_essays.txt")).unwrap();

    let replication = sandbox.read("data/1_raw/replication_config.csv");
    sandbox.write(
        "data/1_raw/replication_config.csv",
        "stage,replicates\ndraft,1\nessay,0\n",
    );
    let err = sandbox.fails(&["migrate", "legacy", "pilot"]);
    assert!(
        err.contains("replication_config.csv:3:2: \"0\" is not a replicate count"),
        "{err}"
    );
    sandbox.write(
        "data/1_raw/replication_config.csv",
        "stage,replicates\ndraft,1\n",
    );
    let err = sandbox.fails(&["migrate", "legacy", "pilot"]);
    assert!(err.contains("no essay row"), "{err}");
    sandbox.write("data/1_raw/replication_config.csv", &replication);

    let drafts = sandbox.read("data/1_raw/draft_templates.csv");
    sandbox.write(
        "data/1_raw/draft_templates.csv",
        drafts.replace(",True\n", ",maybe\n"),
    );
    let err = sandbox.fails(&["migrate", "legacy", "pilot"]);
    assert!(
        err.contains("draft_templates.csv:2:6: active is \"maybe\""),
        "{err}"
    );
    sandbox.write("data/1_raw/draft_templates.csv", &drafts);
    sandbox.ok(&["catalog", "strip-active"]);
    let err = sandbox.fails(&["migrate", "legacy", "pilot"]);
    assert!(err.contains("no \"active\" column"), "{err}");
    assert!(
        !sandbox.path("data/cohorts").exists(),
        "nothing was written"
    );
}

#[test]
fn strip_active_reports_what_the_flags_selected_and_keeps_backups() {
    let sandbox = legacy(None);
    let original = sandbox.read("data/1_raw/llm_models.csv");
    let out = sandbox.ok(&["catalog", "strip-active"]);
    assert!(
        out.contains("  for_generation selected 1 of 3 rows: gen-a\n  for_evaluation selected 1 of 3 rows: judge\n"),
        "{out}"
    );
    assert!(
        out.contains("  active selected 2 of 3 rows: essay-X, essay-Y\n"),
        "{out}"
    );
    assert_eq!(sandbox.read("data/1_raw/llm_models.legacy.csv"), original);
    assert_eq!(
        sandbox.read("data/1_raw/llm_models.csv"),
        "id,model,provider,display_name,specialization\n\
         gen-a,vendor/gen-a,vendor,Gen A,general\n\
         gen-b,vendor/gen-b,vendor,Gen B,general\n\
         judge,vendor/judge,vendor,Judge,evaluation\n"
    );
    let out = sandbox.ok(&["catalog", "strip-active"]);
    assert!(out.contains("nothing to do"), "{out}");
    sandbox.ok(&["import"]);
}
