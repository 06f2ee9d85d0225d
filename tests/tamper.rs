//! Tampering with a stored record or its exported files: `verify` names every difference
//! (exit 1), `export` writes nothing from rows its record's hash does not cover (exit 2), and
//! neither ever silently skips what it was asked to check (docs/reliability.md, "Trusting a
//! cohort").

mod support;

use support::Sandbox;

/// A store with cohort `alpha` built and exported to the default folders.
fn exported() -> Sandbox {
    let s = Sandbox::baseline();
    s.ok(&["export", "alpha"]);
    s
}

/// Runs SQL on the store file directly, as a raw `sqlite3` session would.
/// Builds `beta` from alpha's spec with another seed: the same members in another order, so it
/// reuses every gen_id alpha registered.
fn build_beta(s: &Sandbox) {
    s.ok(BUILD_BETA);
}

const BUILD_BETA: &[&str] = &[
    "build",
    "beta",
    "--spec",
    "data/cohorts/alpha/spec",
    "--seed",
    "3",
];

fn sql(s: &Sandbox, statements: &str) -> rusqlite::Result<()> {
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch(statements)
}

/// Exit status and stdout of a command.
fn code_out(s: &Sandbox, args: &[&str]) -> (i32, String) {
    let out = s.run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &stderr,
    )
}

/// Every file below `dir`, relative, sorted.
fn files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        if entry.file_type().unwrap().is_dir() {
            out.extend(
                files(&entry.path())
                    .into_iter()
                    .map(|f| format!("{name}/{f}")),
            );
        } else {
            out.push(name);
        }
    }
    out.sort();
    out
}

/// verify exits 1 naming `expect`; export into fresh folders exits 2 and writes nothing.
fn verify_and_export_refuse(s: &Sandbox, case: &str, expect: &str) {
    let (code, out) = code_out(s, &["verify", "alpha"]);
    assert_eq!(code, 1, "{case}: verify\n{out}");
    assert!(
        out.contains(expect),
        "{case}: verify names {expect:?}\n{out}"
    );
    let (code, out) = code_out(
        s,
        &[
            "export",
            "alpha",
            "--out",
            "fresh/out",
            "--gens-root",
            "fresh/gens",
        ],
    );
    assert_eq!(code, 2, "{case}: export\n{out}");
    assert!(out.contains("nothing was written"), "{case}: export\n{out}");
    assert!(
        files(&s.path("fresh")).is_empty(),
        "{case}: export wrote files"
    );
}

#[test]
fn complete_records_refuse_inserts_into_every_table_that_holds_them() {
    let s = exported();
    for (table, insert) in [
        (
            "cohort_members",
            "insert into cohort_members select cohort_no, 1000, stage, 'd_zz', parent, combo, template, llm, replicate from cohort_members where ordinal = 0",
        ),
        (
            "cohort_values",
            "insert into cohort_values select cohort_no, 0, 99, 'planted' from cohort_records",
        ),
        (
            "cohort_template_modes",
            "insert into cohort_template_modes select cohort_no, 'draft', 'planted', 'llm' from cohort_records",
        ),
        (
            "cohort_spec_files",
            "insert into cohort_spec_files select cohort_no, 'planted.yaml', x'00', 'x' from cohort_records",
        ),
        (
            "gen_ids",
            "insert into gen_ids select 'd_planted', x'00', 0, cohort_no, 0 from cohort_records",
        ),
    ] {
        let err = sql(&s, insert).expect_err(table).to_string();
        assert!(err.contains("record is complete"), "{table}: {err}");
    }
    let (code, out) = code_out(&s, &["verify", "alpha"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn every_stored_table_tampered_is_found_by_verify_and_refused_by_export() {
    // (case, SQL run with the guarding trigger dropped, what verify names)
    let cases: &[(&str, &str, &str)] = &[
        (
            "member inserted",
            "drop trigger cohort_members_no_insert_after_record;
             insert into cohort_members select cohort_no, 28, stage, 'd_zzzzzzzzzzzz', parent, combo, template, llm, replicate from cohort_members where ordinal = 0",
            "the stored members hash to",
        ),
        (
            "member updated",
            "drop trigger cohort_members_no_update;
             update cohort_members set replicate = 7 where ordinal = 0",
            "the stored members hash to",
        ),
        (
            "member deleted",
            "drop trigger cohort_members_no_delete;
             delete from cohort_members where ordinal = 3",
            "ordinal 4 where 3 was expected",
        ),
        (
            "value inserted",
            "drop trigger cohort_values_no_insert_after_record;
             insert into cohort_values select cohort_no, 0, 2, 'planted' from cohort_records",
            "cohort_values role 0 vid 2: no member refers to it",
        ),
        (
            "value updated",
            "drop trigger cohort_values_no_update;
             update cohort_values set text = 'combo-x' where role = 0 and vid = 0",
            "the stored members hash to",
        ),
        (
            "value deleted",
            "drop trigger cohort_values_no_delete;
             delete from cohort_values where role = 6",
            "is not a value of the cohort",
        ),
        (
            "mode inserted",
            "drop trigger cohort_template_modes_no_insert_after_record;
             insert into cohort_template_modes select cohort_no, 'draft', 'planted', 'llm' from cohort_records",
            "template mode of draft template \"planted\": stored \"llm\", the catalogs give none",
        ),
        (
            "mode updated",
            "drop trigger cohort_template_modes_no_update;
             update cohort_template_modes set mode = 'copy' where stage = 'draft'",
            "template mode of draft template",
        ),
        (
            "mode deleted",
            "drop trigger cohort_template_modes_no_delete;
             delete from cohort_template_modes where mode = 'copy'",
            "stored none, the catalogs give \"copy\"",
        ),
        (
            "spec file inserted",
            "drop trigger cohort_spec_files_no_insert_after_record;
             insert into cohort_spec_files select cohort_no, '../../escape.yaml', x'00', 'x' from cohort_records",
            "not a plain relative path",
        ),
        (
            "spec file updated",
            "drop trigger cohort_spec_files_no_update;
             update cohort_spec_files set content = cast('essay_template,essay_llm
essay-X,gen-a
' as blob) where path = 'items/essays.csv'",
            "its stored BLAKE3 is not its content's",
        ),
        (
            "spec file deleted",
            "drop trigger cohort_spec_files_no_delete;
             delete from cohort_spec_files where path = 'items/essays.csv'",
            "not in the bundle",
        ),
        (
            "record manifest updated",
            "drop trigger cohort_records_no_update;
             update cohort_records set manifest = manifest || ' '",
            "the stored manifest does not hash to the record's manifest digest",
        ),
        (
            "record counts updated",
            "drop trigger cohort_records_no_update;
             update cohort_records set drafts = drafts + 1",
            "the stored members per stage are",
        ),
        (
            "record digest updated",
            "drop trigger cohort_records_no_update;
             update cohort_records set members_hash = content_hash",
            "the record's component digests do not give its content hash",
        ),
    ];
    for (case, statements, expect) in cases {
        let s = exported();
        sql(&s, statements).unwrap_or_else(|e| panic!("{case}: {e}"));
        verify_and_export_refuse(&s, case, expect);
    }
}

#[test]
fn a_deleted_record_is_an_error_not_a_pass() {
    let s = exported();
    sql(
        &s,
        "drop trigger cohort_records_no_delete; delete from cohort_records",
    )
    .unwrap();
    let err = s.fails(&["verify", "alpha"]);
    assert!(err.contains("no cohort \"alpha\""), "{err}");
}

/// Replaces `from` by `to` in an exported file, asserting it was there.
fn edit(s: &Sandbox, rel: &str, from: &str, to: &str) {
    let text = s.read(rel);
    assert!(text.contains(from), "{rel} holds {from:?}:\n{text}");
    s.write(rel, text.replacen(from, to, 1));
}

#[test]
fn every_field_of_every_exported_file_kind_is_checked() {
    let base = exported();
    let draft = base.query(
        "select gen_id from membership where cohort_id = 'alpha' and stage = 'draft' limit 1",
    );
    let draft = draft.lines().nth(1).unwrap().to_string();
    let essay = base.query(
        "select gen_id from membership where cohort_id = 'alpha' and template_id = 'essay-Y' limit 1",
    );
    let essay = essay.lines().nth(1).unwrap().to_string();
    let d = format!("data/gens/draft/{draft}/metadata.json");
    let e = format!("data/gens/essay/{essay}/metadata.json");
    let lock = "data/cohorts/alpha/cohort.lock.json";
    let manifest = "data/cohorts/alpha/manifest.json";
    let membership = "data/cohorts/alpha/membership.csv";
    // (file, text to replace, replacement, what verify names)
    let cases: Vec<(String, String, String, String)> = vec![
        (
            d.clone(),
            "\"stage\": \"draft\"".into(),
            "\"stage\": \"essay\"".into(),
            "stage is \"essay\"".into(),
        ),
        (
            d.clone(),
            format!("\"gen_id\": \"{draft}\""),
            "\"gen_id\": \"d_x\"".into(),
            "gen_id is \"d_x\"".into(),
        ),
        (
            d.clone(),
            "\"mode\": \"llm\"".into(),
            "\"mode\": \"copy\"".into(),
            "mode is \"copy\"".into(),
        ),
        (
            d.clone(),
            "\"template_id\": \"draft-A\"".into(),
            "\"template_id\": \"draft-a\"".into(),
            "template_id is \"draft-a\"".into(),
        ),
        (
            d.clone(),
            "\"combo_id\": \"combo-".into(),
            "\"combo_id\": \"Combo-".into(),
            "combo_id is \"Combo-".into(),
        ),
        (
            d.clone(),
            "\"llm_model_id\": \"gen-a\"".into(),
            "\"llm_model_id\": \"gen-b\"".into(),
            "llm_model_id is \"gen-b\"".into(),
        ),
        (
            d.clone(),
            "\"replicate\": 1".into(),
            "\"replicate\": \"1\"".into(),
            "replicate is \"1\"".into(),
        ),
        (
            d.clone(),
            "\"replicate\": 1".into(),
            "\"replicate\": 1,\n  \"extra\": 2".into(),
            "extra is 2, the record's is (missing)".into(),
        ),
        (
            d.clone(),
            "\"origin_cohort_id\": \"alpha\"".into(),
            "\"origin_cohort_id\": \"nobody\"".into(),
            "\"nobody\" is not a stored cohort".into(),
        ),
        (
            d.clone(),
            "\"origin_cohort_id\": \"alpha\",".into(),
            "".into(),
            "origin_cohort_id is (missing)".into(),
        ),
        (d.clone(), "{".into(), "[".into(), "not valid JSON".into()),
        (
            e.clone(),
            "\"mode\": \"copy\"".into(),
            "\"mode\": \"llm\"".into(),
            "mode is \"llm\"".into(),
        ),
        (
            e.clone(),
            "\"parent_gen_id\": \"d_".into(),
            "\"parent_gen_id\": \"d_0".into(),
            "parent_gen_id is \"d_0".into(),
        ),
        (
            lock.into(),
            "\"format\": \"cohortdb-lock-1\"".into(),
            "\"format\": \"x\"".into(),
            "cohort.lock.json: differs".into(),
        ),
        (
            lock.into(),
            "\"hash_scheme\": \"cohortdb-v1\"".into(),
            "\"hash_scheme\": \"x\"".into(),
            "cohort.lock.json: differs".into(),
        ),
        (
            lock.into(),
            "\"cohort_id\": \"alpha\"".into(),
            "\"cohort_id\": \"beta\"".into(),
            "cohort.lock.json: differs".into(),
        ),
        (
            lock.into(),
            "\"content_hash\": \"".into(),
            "\"content_hash\": \"0".into(),
            "cohort.lock.json: differs".into(),
        ),
        (
            lock.into(),
            "\"spec_hash\": \"".into(),
            "\"spec_hash\": \"0".into(),
            "cohort.lock.json: differs".into(),
        ),
        (
            lock.into(),
            "\"draft\": 4".into(),
            "\"draft\": 5".into(),
            "cohort.lock.json: differs".into(),
        ),
        (
            lock.into(),
            "\"manifest.json\": \"".into(),
            "\"manifest.json\": \"0".into(),
            "cohort.lock.json: differs".into(),
        ),
        (
            manifest.into(),
            "\"evaluation\": 2".into(),
            "\"evaluation\": 3".into(),
            "manifest.json: differs from the record".into(),
        ),
        (
            membership.into(),
            format!("draft,{draft}\n"),
            "".into(),
            "1 row of the record missing".into(),
        ),
        (
            membership.into(),
            "stage,gen_id\n".into(),
            "stage,gen_id\r\n".into(),
            "membership.csv: differs".into(),
        ),
        (
            "data/cohorts/alpha/spec/items/essays.csv".into(),
            "essay-X".into(),
            "essay-Z".into(),
            "essays.csv: differs from the stored spec".into(),
        ),
    ];
    for (file, from, to, expect) in &cases {
        let s = exported();
        edit(&s, file, from, to);
        let (code, out) = code_out(&s, &["verify", "alpha"]);
        assert_eq!(code, 1, "{file}: {from:?} -> {to:?}\n{out}");
        assert!(
            out.contains(expect.as_str()),
            "{file}: {from:?} -> {to:?}: expected {expect:?}\n{out}"
        );
    }
}

#[test]
fn an_origin_naming_another_stored_cohort_must_hold_the_gen_id() {
    let s = exported();
    // beta shares alpha's gen_ids (same spec, another order); gamma holds none of them.
    build_beta(&s);
    s.write(
        "other/config.yaml",
        s.read("data/cohorts/alpha/spec/config.yaml"),
    );
    let draft = s.query(
        "select gen_id from membership where cohort_id = 'alpha' and stage = 'draft' limit 1",
    );
    let draft = draft.lines().nth(1).unwrap().to_string();
    let file = format!("data/gens/draft/{draft}/metadata.json");
    edit(
        &s,
        &file,
        "\"origin_cohort_id\": \"alpha\"",
        "\"origin_cohort_id\": \"beta\"",
    );
    let (code, out) = code_out(&s, &["verify", "alpha"]);
    assert_eq!(code, 0, "beta holds the gen_id\n{out}");
    assert!(out.contains("1 name an earlier cohort"), "{out}");
    // An id that is a stored cohort without this gen_id.
    s.ok(&[
        "build",
        "solo",
        "--spec",
        "data/cohorts/alpha/spec",
        "--seed",
        "3",
    ]);
    sql(
        &s,
        "drop trigger cohort_records_no_update; update cohort_records set cohort_id = 'renamed' where cohort_id = 'solo'",
    )
    .unwrap();
    edit(
        &s,
        &file,
        "\"origin_cohort_id\": \"beta\"",
        "\"origin_cohort_id\": \"renamed-x\"",
    );
    let (code, out) = code_out(&s, &["verify", "alpha"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("\"renamed-x\" is not a stored cohort"),
        "{out}"
    );
}

#[test]
fn nothing_is_skipped_silently() {
    // Never exported: a difference; --store-only checks only the store.
    let s = Sandbox::baseline();
    let (code, out) = code_out(&s, &["verify", "alpha"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not exported") && out.contains("result: DIFFERS"),
        "{out}"
    );
    let (code, out) = code_out(&s, &["verify", "alpha", "--store-only"]);
    assert_eq!(code, 0, "{out}");

    // A lock file missing next to the other exported files.
    let s = exported();
    std::fs::remove_file(s.path("data/cohorts/alpha/cohort.lock.json")).unwrap();
    let (code, out) = code_out(&s, &["verify", "alpha"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cohort.lock.json: missing — not exported, or the export did not finish"),
        "{out}"
    );

    // An empty gens folder.
    let s = exported();
    std::fs::remove_dir_all(s.path("data/gens")).unwrap();
    std::fs::create_dir(s.path("data/gens")).unwrap();
    let (code, out) = code_out(&s, &["verify", "alpha"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("28 members have no metadata.json"), "{out}");

    // Mistyped folders the user named: errors.
    let err = s.fails(&["verify", "alpha", "--dir", "data/cohorts/alhpa"]);
    assert!(
        err.contains("--dir data/cohorts/alhpa: no such folder"),
        "{err}"
    );
    let err = s.fails(&["verify", "alpha", "--gens-root", "data/gnes"]);
    assert!(
        err.contains("--gens-root data/gnes: no such folder"),
        "{err}"
    );
    let err = s.fails(&["verify", "alpha", "--data-root", "dtaa"]);
    assert!(err.contains("--data-root dtaa: no such folder"), "{err}");
    // … but --store-only reads no folder.
    let (code, out) = code_out(
        &s,
        &["verify", "alpha", "--data-root", "dtaa", "--store-only"],
    );
    assert_eq!(code, 0, "{out}");
}

#[cfg(unix)]
#[test]
fn export_never_writes_through_a_link() {
    use std::os::unix::fs::symlink;
    // (what is a link, relative to the sandbox; where it points)
    let cases = [
        "data/cohorts/alpha/spec",
        "data/cohorts/alpha/membership.csv",
        "data/gens/draft",
        "data/gens/draft/GEN",
        "data/gens/draft/GEN/metadata.json",
    ];
    for case in cases {
        let s = Sandbox::baseline();
        let draft = s.query(
            "select gen_id from membership where cohort_id = 'alpha' and stage = 'draft' limit 1",
        );
        let draft = draft.lines().nth(1).unwrap().to_string();
        let link = s.path(&case.replace("GEN", &draft));
        let outside = s.path("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        if link.is_dir() {
            std::fs::remove_dir_all(&link).unwrap(); // the fixture's spec folder
        }
        let target = if case.ends_with(".csv") || case.ends_with(".json") {
            outside.join("file")
        } else {
            outside.clone()
        };
        symlink(&target, &link).unwrap();
        let err = s.fails(&["export", "alpha"]);
        assert!(
            err.contains(&format!("{} is a symlink", link.display()))
                && err.contains("nothing was written"),
            "{case}: {err}"
        );
        assert!(files(&outside).is_empty(), "{case}: written outside");
        assert!(
            !s.path("data/cohorts/alpha/cohort.lock.json").exists()
                && !s.path("data/cohorts/alpha/membership.csv").is_file(),
            "{case}: nothing written"
        );
        let mut written = files(&s.path("data/gens"));
        written.retain(|f| !s.path("data/gens").join(f).is_symlink());
        assert!(written.is_empty(), "{case}: {written:?}");
    }
}

#[test]
fn a_crafted_store_cannot_make_export_escape_or_abort() {
    // A gen_id with `..` and `/`: refused naming the row, nothing created anywhere.
    let s = Sandbox::baseline();
    sql(
        &s,
        "drop trigger cohort_members_no_update;
         update cohort_members set gen_id = 'd_../../../../escaped' where ordinal = 0",
    )
    .unwrap();
    let err = s.fails(&[
        "export",
        "alpha",
        "--out",
        "fresh/out",
        "--gens-root",
        "fresh/gens",
    ]);
    assert!(
        err.contains("cohort_members ordinal 0: gen_id \"d_../../../../escaped\" is not a gen_id of its stage"),
        "{err}"
    );
    assert!(files(&s.path("fresh")).is_empty() && !s.path("escaped").exists());
    let (code, out) = code_out(&s, &["verify", "alpha", "--store-only"]);
    assert_eq!(code, 1, "{out}");

    // A count of 10^15 members (the loader used to reserve memory from it and abort).
    let s = Sandbox::baseline();
    sql(
        &s,
        "drop trigger cohort_records_no_update; update cohort_records set evaluations = 1000000000000000",
    )
    .unwrap();
    let err = s.fails(&["export", "alpha"]);
    assert!(
        err.contains("the stored members per stage are [4, 8, 16]"),
        "{err}"
    );

    // A value id of 10^12 (a list sized from it would not fit in memory).
    let s = Sandbox::baseline();
    sql(
        &s,
        "drop trigger cohort_values_no_update; update cohort_values set vid = 1000000000000 where role = 6",
    )
    .unwrap();
    let err = s.fails(&["export", "alpha"]);
    assert!(
        err.contains("cohort_values role 6 vid 1000000000000: out of sequence"),
        "{err}"
    );
}

#[test]
fn everything_is_checked_before_the_first_file() {
    // --out below a regular file: refused before any metadata is written.
    let s = Sandbox::baseline();
    s.write("blocker", "x");
    let err = s.fails(&["export", "alpha", "--out", "blocker/out"]);
    assert!(
        err.contains("--out blocker/out: blocker is a regular file, not a folder"),
        "{err}"
    );
    assert!(!s.path("data/gens").exists(), "no metadata written");
    // A gens root that is a file.
    let err = s.fails(&["export", "alpha", "--gens-root", "blocker"]);
    assert!(
        err.contains("--gens-root blocker: blocker is a regular file"),
        "{err}"
    );
    assert!(!s.path("data/cohorts/alpha/membership.csv").exists());
}

#[test]
fn repair_rewrites_only_metadata_that_is_not_json() {
    let s = exported();
    let draft = s.query(
        "select gen_id from membership where cohort_id = 'alpha' and stage = 'draft' limit 1",
    );
    let draft = draft.lines().nth(1).unwrap().to_string();
    let file = format!("data/gens/draft/{draft}/metadata.json");
    let good = s.read(&file);
    s.write(&file, "{\"stage\": \"dra");
    let err = s.fails(&["export", "alpha"]);
    assert!(err.contains("--repair"), "{err}");
    assert_eq!(s.read(&file), "{\"stage\": \"dra");
    let out = s.ok(&["export", "alpha", "--repair"]);
    assert!(
        out.contains(&format!("repaired           {}", s.path(&file).display()))
            && out.contains("it held: \"{\\\"stage\\\": \\\"dra\""),
        "{out}"
    );
    assert_eq!(s.read(&file), good);
    let (code, out) = code_out(&s, &["verify", "alpha"]);
    assert_eq!(code, 0, "{out}");
    // Valid JSON that disagrees is still refused, --repair or not (D13).
    s.write(&file, good.replace("\"gen-a\"", "\"gen-b\""));
    let err = s.fails(&["export", "alpha", "--repair"]);
    assert!(err.contains("is not its member's"), "{err}");
}

/// Removes migration V5's objects (the results ledger), for tests that make older stores.
const DROP_V5: &str =
    "drop view evaluation_scores; drop view cohort_progress; drop view generations;
     drop table results_observations; drop table results_files; drop table results_superseded;
     drop table results_generations; drop table results_imports;";

#[test]
fn a_metadata_file_without_the_signature_fields_gets_a_hint_that_says_what_to_do() {
    let s = exported();
    let draft = s.query(
        "select gen_id from membership where cohort_id = 'alpha' and stage = 'draft' limit 1",
    );
    let draft = draft.lines().nth(1).unwrap().to_string();
    let file = format!("data/gens/draft/{draft}/metadata.json");
    s.write(
        &file,
        r#"{"stage": "draft", "combo_id": "combo-1", "replicate": 1}"#,
    );
    for args in [&["export", "alpha"][..], &["export", "alpha", "--repair"]] {
        let err = s.fails(args);
        assert!(
            err.contains(&format!(
                "{}: valid JSON, but without \"template_id\", \"llm_model_id\"",
                s.path(&file).display()
            )),
            "{args:?}: {err}"
        );
        // One hint, and not the one that sends the user to --repair again.
        let hints: Vec<&str> = err.lines().filter(|l| l.contains("hint:")).collect();
        assert_eq!(hints.len(), 1, "{args:?}: {err}");
        assert!(
            hints[0].contains("never rewritten, not even by --repair")
                && hints[0].contains("move it aside or delete it and export again"),
            "{args:?}: {err}"
        );
    }
    // Doing what it says works.
    std::fs::remove_file(s.path(&file)).unwrap();
    s.ok(&["export", "alpha"]);
    let (code, out) = code_out(&s, &["verify", "alpha"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn export_refuses_a_mistyped_data_root_and_creates_named_folders() {
    let s = Sandbox::baseline();
    for args in [
        &["export", "alpha", "--data-root", "dtaa"][..],
        &["export", "alpha", "--data-root", "dtaa", "--out", "o"],
        &["export", "alpha", "--data-root", "dtaa", "--gens-root", "g"],
    ] {
        let err = s.fails(args);
        assert!(
            err.starts_with("error: --data-root dtaa: no such folder"),
            "{err}"
        );
        assert!(err.contains("which are created when missing"), "{err}");
        assert!(
            !s.path("dtaa").exists() && !s.path("o").exists() && !s.path("g").exists(),
            "{args:?}"
        );
    }
    // Both folders named: the data root is not used, and they are created.
    s.ok(&[
        "export",
        "alpha",
        "--data-root",
        "dtaa",
        "--out",
        "new/o",
        "--gens-root",
        "new/g",
    ]);
    assert!(s.path("new/o/cohort.lock.json").is_file() && s.path("new/g/draft").is_dir());
    assert!(!s.path("dtaa").exists());
}

#[test]
fn a_row_past_a_check_constraint_is_a_finding_of_its_cohort_not_damage() {
    // (what is written behind cohortdb's back past a CHECK constraint, what verify names, what
    // status says: it reads the members' stages and gen_ids, not their values)
    let cases = [
        (
            "drop trigger cohort_members_no_update;
             update cohort_members set stage = 7 where ordinal = 2
             and cohort_no = (select cohort_no from cohort_records where cohort_id = 'alpha')",
            "cohort_members ordinal 2: stage 7 is not 0, 1 or 2",
            "alpha: the store's rows are not a record (a member of stage 7",
        ),
        (
            "drop trigger cohort_values_no_update;
             update cohort_values set role = 9 where role = 0 and vid = 0
             and cohort_no = (select cohort_no from cohort_records where cohort_id = 'alpha')",
            "cohort_values role 9 vid 0: out of sequence",
            "alpha: ok",
        ),
    ];
    for (statements, expect, status) in cases {
        let s = exported();
        build_beta(&s);
        sql(
            &s,
            &format!("pragma ignore_check_constraints = 1; {statements}"),
        )
        .unwrap();
        // The whole store still opens: one cohort's rows are no damage to its pages.
        let (code, out) = code_out(&s, &["verify", "--all", "--store-only"]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains(expect), "{out}");
        assert!(
            out.contains("2 cohorts: 1 ok, 1 differ, 0 failed") && !out.contains("damaged"),
            "{out}"
        );
        let alpha = out.split("cohort beta").next().unwrap();
        assert!(alpha.contains("result: DIFFERS"), "{out}");
        // Export refuses that cohort only, status reports it, the others are as they were.
        let err = s.fails(&["export", "alpha", "--out", "o", "--gens-root", "g"]);
        assert!(err.contains(expect), "{err}");
        s.ok(&["export", "beta"]);
        let (_, out) = code_out(&s, &["status"]);
        assert!(
            out.contains(status) && out.contains("beta: ok") && !out.contains("damaged"),
            "{out}"
        );
        assert!(s.ok(&["cohorts"]).contains("beta"));
    }
}

#[test]
fn a_store_of_the_previous_schema_upgrades_and_gets_the_insert_triggers() {
    let s = exported();
    // Make it a version-2 store: without V3's triggers, the tables of V4, V5 and V6 and their
    // history rows.
    sql(
        &s,
        "drop trigger cohort_members_no_insert_after_record;
         drop trigger cohort_values_no_insert_after_record;
         drop trigger cohort_template_modes_no_insert_after_record;
         drop trigger cohort_spec_files_no_insert_after_record;
         drop trigger gen_ids_no_insert_after_record;
         drop table cohort_reuse;
         drop table legacy_origins;
         delete from refinery_schema_history where version >= 3",
    )
    .unwrap();
    sql(&s, DROP_V5).unwrap();
    s.ok(&["import"]);
    let err = sql(
        &s,
        "insert into cohort_values select cohort_no, 0, 99, 'planted' from cohort_records",
    )
    .expect_err("refused after the upgrade")
    .to_string();
    assert!(err.contains("record is complete"), "{err}");
    let (code, out) = code_out(&s, &["verify", "alpha"]);
    assert_eq!(code, 0, "{out}");
    // A build after the upgrade writes its rows before its record row: accepted.
    build_beta(&s);
    s.ok(&["export", "beta"]);
    let (code, out) = code_out(&s, &["verify", "beta"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_store_of_schema_version_3_upgrades_with_the_reuse_counts_of_its_cohorts() {
    let s = exported();
    build_beta(&s);
    let counted = |s: &Sandbox| {
        s.ok(&[
            "query",
            "select cohort_no, earlier_no, shared from cohort_reuse order by 1, 2",
            "--format",
            "csv",
        ])
    };
    let built = counted(&s);
    assert!(
        built.starts_with("cohort_no,earlier_no,shared\n2,1,"),
        "{built}"
    );
    // Make it a version-3 store: without the tables of V4, V5 and V6 and their history rows.
    sql(
        &s,
        "drop table cohort_reuse;
         drop table legacy_origins;
         delete from refinery_schema_history where version >= 4",
    )
    .unwrap();
    sql(&s, DROP_V5).unwrap();
    let (code, out) = code_out(&s, &["status", "alpha"]);
    assert_eq!(code, 2, "a reader refuses an outdated store\n{out}");
    s.ok(&["init"]);
    assert_eq!(
        counted(&s),
        built,
        "the migration counts what the build counted"
    );
    let (code, out) = code_out(&s, &["status", "alpha"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("note: newer cohort beta shares"), "{out}");
    let (code, out) = code_out(&s, &["verify", "beta", "--store-only"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn reuse_counts_are_append_only_and_recounted_by_verify() {
    let s = exported();
    build_beta(&s);
    for statement in [
        "update cohort_reuse set shared = shared + 1",
        "delete from cohort_reuse",
        "insert into cohort_reuse values (2, 1, 5)",
    ] {
        let err = sql(&s, statement).expect_err(statement).to_string();
        assert!(err.contains("cohort_reuse"), "{statement}: {err}");
    }
    for (case, tamper, expect) in [
        (
            "count updated",
            "drop trigger cohort_reuse_no_update;
             update cohort_reuse set shared = shared + 1",
            "reuse gen_ids of cohort \"alpha\" (cohort_no 1), the stored members give",
        ),
        (
            "count deleted",
            "drop trigger cohort_reuse_no_delete;
             delete from cohort_reuse",
            "the stored count says 0 member(s) reuse gen_ids of cohort \"alpha\" (cohort_no 1)",
        ),
        (
            "count forged for no cohort",
            "drop trigger cohort_reuse_no_insert_after_record;
             insert into cohort_reuse values (2, 0, 3)",
            "the stored count says 3 member(s) reuse gen_ids of cohort_no 0, which has no record, the stored members give 0",
        ),
    ] {
        let t = exported();
        build_beta(&t);
        sql(&t, tamper).unwrap();
        let (code, out) = code_out(&t, &["verify", "beta", "--store-only"]);
        assert_eq!(code, 1, "{case}\n{out}");
        assert!(out.contains(expect), "{case}: {out}");
        let (code, out) = code_out(&t, &["verify", "alpha", "--store-only"]);
        assert_eq!(
            code, 0,
            "{case}: the earlier cohort's rows are its own\n{out}"
        );
    }
}

#[test]
fn rows_written_outside_cohortdb_for_the_next_record_refuse_the_build() {
    for (table, insert) in [
        (
            "cohort_members",
            "insert into cohort_members select 2, ordinal, stage, gen_id, parent, combo, template, llm, replicate from cohort_members where ordinal = 0",
        ),
        ("cohort_reuse", "insert into cohort_reuse values (2, 1, 99)"),
    ] {
        let s = exported();
        sql(&s, insert).unwrap();
        let (code, out) = code_out(&s, BUILD_BETA);
        assert_eq!(code, 2, "{table}\n{out}");
        assert!(
            out.contains(&format!(
                "error: cohort \"beta\": the store already holds rows for cohort number 2, which has no record ({table})"
            )),
            "{table}\n{out}"
        );
        assert!(out.contains("hint: see them with `cohortdb query"), "{out}");
        let listed = s.ok(&["cohorts"]);
        assert!(!listed.contains("beta"), "nothing was stored\n{listed}");
    }
}
