//! `cohortdb export` and `cohortdb verify`: canonical files, never destroying, tamper detection.

mod support;

use support::Sandbox;

fn exported() -> Sandbox {
    let s = Sandbox::new();
    s.ok(&["import"]);
    s.ok(&["build", "alpha"]);
    s.ok(&["export", "alpha"]);
    s
}

fn verify_code(s: &Sandbox, args: &[&str]) -> (i32, String) {
    let out = s.run(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

#[test]
fn export_writes_the_canonical_files_and_reexport_is_idempotent() {
    let s = exported();
    let membership = s.read("data/cohorts/alpha/membership.csv");
    assert!(
        membership.starts_with("stage,gen_id\ndraft,d_agoots5ys4g42xz\n"),
        "{membership}"
    );
    assert_eq!(membership.lines().count(), 29);
    let manifest = s.read("data/cohorts/alpha/manifest.json");
    assert!(
        manifest.contains(
            "\"replication\": {\n    \"draft\": 1,\n    \"essay\": 1,\n    \"evaluation\": 2\n  }"
        ) && !manifest.ends_with('\n'),
        "{manifest}"
    );
    let lock = s.read("data/cohorts/alpha/cohort.lock.json");
    assert!(
        lock.contains("\"spec/config.yaml\"")
            && lock.contains("\"spec/items/essays.csv\"")
            && lock.ends_with("}\n"),
        "{lock}"
    );
    // A copy-mode essay and an empty generator (llm).
    let essay_y = s.query("select gen_id from membership where cohort_id = 'alpha' and template_id = 'essay-Y' limit 1");
    let essay_y = essay_y.lines().nth(1).unwrap();
    assert!(
        s.read(&format!("data/gens/essay/{essay_y}/metadata.json"))
            .contains("\"mode\": \"copy\"")
    );
    let eval2 = s.query("select gen_id from membership where cohort_id = 'alpha' and template_id = 'eval-2' limit 1");
    let eval2 = eval2.lines().nth(1).unwrap();
    let meta = s.read(&format!("data/gens/evaluation/{eval2}/metadata.json"));
    assert!(
        meta.contains("\"mode\": \"llm\"")
            && meta.contains("\"parent_gen_id\"")
            && !meta.contains("combo_id"),
        "{meta}"
    );
    let before: Vec<u8> = std::fs::read(s.path("data/cohorts/alpha/cohort.lock.json")).unwrap();
    let again = s.ok(&["export", "alpha"]);
    assert!(
        again.contains("unchanged (identical)") && again.contains("0 written, 28 already present"),
        "{again}"
    );
    assert_eq!(
        std::fs::read(s.path("data/cohorts/alpha/cohort.lock.json")).unwrap(),
        before
    );
    let leftovers = walk(&s.path("data"))
        .into_iter()
        .filter(|p| p.rsplit('/').next().unwrap_or_default().ends_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0, "no temporary files are left behind");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[test]
fn export_to_other_folders() {
    let s = exported();
    s.ok(&[
        "export",
        "alpha",
        "--out",
        "elsewhere",
        "--gens-root",
        "other-gens",
    ]);
    assert_eq!(
        s.read("elsewhere/membership.csv"),
        s.read("data/cohorts/alpha/membership.csv")
    );
    assert_eq!(
        s.read("elsewhere/spec/items/essays.csv"),
        s.read("data/cohorts/alpha/spec/items/essays.csv")
    );
    assert_eq!(walk(&s.path("other-gens")).len(), 28);
    let (code, out) = verify_code(
        &s,
        &[
            "verify",
            "alpha",
            "--dir",
            "elsewhere",
            "--gens-root",
            "other-gens",
        ],
    );
    assert_eq!(code, 0, "{out}");
}

#[test]
fn export_never_destroys() {
    let s = exported();
    // A generated file that differs stops the export before anything is written...
    s.write("data/cohorts/alpha/manifest.json", "{}");
    std::fs::remove_file(s.path("data/cohorts/alpha/membership.csv")).unwrap();
    let err = s.fails(&["export", "alpha"]);
    assert!(
        err.contains("manifest.json") && err.contains("--force"),
        "{err}"
    );
    assert!(
        !s.path("data/cohorts/alpha/membership.csv").exists(),
        "nothing was written"
    );
    // ...unless forced.
    let out = s.ok(&["export", "alpha", "--force"]);
    assert!(out.contains("replaced (--force)"), "{out}");
    // A spec changed after the build stops it; formatting-only differences are a note.
    let spec = s.read("data/cohorts/alpha/spec/config.yaml");
    s.write(
        "data/cohorts/alpha/spec/config.yaml",
        format!("# a comment\n{spec}"),
    );
    let out = s.run(&["export", "alpha"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only in formatting"));
    s.write(
        "data/cohorts/alpha/spec/config.yaml",
        spec.replace("[combo-1, combo-2]", "[combo-1]"),
    );
    let err = s.fails(&["export", "alpha"]);
    assert!(
        err.contains("was changed after the build") && err.contains("new cohort id"),
        "{err}"
    );
    assert_eq!(
        s.read("data/cohorts/alpha/spec/config.yaml"),
        spec.replace("[combo-1, combo-2]", "[combo-1]")
    );
    // A metadata.json of another generation is an error, never overwritten.
    s.write("data/cohorts/alpha/spec/config.yaml", &spec);
    let draft = "data/gens/draft/d_agoots5ys4g42xz/metadata.json";
    let foreign = "{\"stage\": \"draft\", \"combo_id\": \"other\", \"template_id\": \"draft-A\", \"llm_model_id\": \"gen-a\", \"replicate\": 1}";
    s.write(draft, foreign);
    let err = s.fails(&["export", "alpha", "--force"]);
    assert!(
        err.contains("not its member's") && err.contains("d_agoots5ys4g42xz"),
        "{err}"
    );
    assert_eq!(s.read(draft), foreign);
    // One with the member's signature is left alone, whatever else it says.
    let own = "{\"origin_cohort_id\": \"someone-else\", \"combo_id\": \"COMBO-1\", \"template_id\": \"draft-a\", \"llm_model_id\": \"gen-a\", \"replicate\": \"1\"}";
    s.write(draft, own);
    s.ok(&["export", "alpha"]);
    assert_eq!(s.read(draft), own);
}

#[test]
fn verify_passes_then_fails_on_every_kind_of_tampering() {
    type Tamper<'a> = (&'a str, &'a dyn Fn(&Sandbox), &'a str);
    let tamper: &[Tamper] = &[
        (
            "membership",
            &|s| {
                s.write(
                    "data/cohorts/alpha/membership.csv",
                    s.read("data/cohorts/alpha/membership.csv")
                        .replacen("draft,", "essay,", 1),
                )
            },
            "membership.csv: differs",
        ),
        (
            "membership order",
            &|s| {
                let text = s.read("data/cohorts/alpha/membership.csv");
                let mut lines: Vec<&str> = text.lines().collect();
                lines.swap(1, 2);
                s.write(
                    "data/cohorts/alpha/membership.csv",
                    format!("{}\n", lines.join("\n")),
                );
            },
            "the same rows in another order",
        ),
        (
            "manifest",
            &|s| {
                s.write(
                    "data/cohorts/alpha/manifest.json",
                    s.read("data/cohorts/alpha/manifest.json")
                        .replace("combo-2", "combo-9"),
                )
            },
            "manifest.json: differs",
        ),
        (
            "spec",
            &|s| {
                s.write(
                    "data/cohorts/alpha/spec/items/essays.csv",
                    "essay_template,essay_llm\nessay-X,gen-a\n",
                )
            },
            "essays.csv: differs from the stored spec",
        ),
        (
            "metadata",
            &|s| {
                let path = s.path("data/gens/draft/d_agoots5ys4g42xz/metadata.json");
                std::fs::remove_file(path).unwrap();
            },
            "1 member has no metadata.json",
        ),
        (
            "metadata content",
            &|s| {
                s.write(
                    "data/gens/draft/d_agoots5ys4g42xz/metadata.json",
                    "{\"combo_id\": \"x\"}",
                )
            },
            "metadata.json file(s) differ from the record",
        ),
        (
            "lock",
            &|s| {
                s.write(
                    "data/cohorts/alpha/cohort.lock.json",
                    s.read("data/cohorts/alpha/cohort.lock.json")
                        .replace("\"draft\": 4", "\"draft\": 5"),
                )
            },
            "cohort.lock.json: differs",
        ),
    ];
    for (what, change, needle) in tamper {
        let s = exported();
        let (code, out) = verify_code(&s, &["verify", "alpha"]);
        assert_eq!(code, 0, "{out}");
        change(&s);
        let (code, out) = verify_code(&s, &["verify", "alpha"]);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(out.contains(needle), "{what}: {needle}\n{out}");
        // The store alone still verifies.
        let (code, _) = verify_code(&s, &["verify", "alpha", "--store-only"]);
        assert_eq!(code, 0, "{what}");
        // Re-exporting into a clean folder verifies again.
        s.ok(&[
            "export",
            "alpha",
            "--out",
            "clean",
            "--gens-root",
            "clean-gens",
        ]);
        let (code, out) = verify_code(
            &s,
            &[
                "verify",
                "alpha",
                "--dir",
                "clean",
                "--gens-root",
                "clean-gens",
            ],
        );
        assert_eq!(code, 0, "{what}: {out}");
    }
}

#[test]
fn verify_detects_a_catalog_row_altered_behind_the_stores_back() {
    let s = exported();
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch(
        "drop trigger catalog_templates_no_update;
         update catalog_templates set body = 'tampered' where template_id = 'draft-A';",
    )
    .unwrap();
    drop(conn);
    let (code, out) = verify_code(&s, &["verify", "alpha", "--store-only"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("catalog rows the cohort references differ"),
        "{out}"
    );
}

#[test]
fn verify_ignores_imports_after_the_build() {
    let s = exported();
    s.write(
        "data/1_raw/llm_models.csv",
        format!(
            "{}late,vendor/late,vendor,Late,general\n",
            s.read("data/1_raw/llm_models.csv")
        ),
    );
    s.ok(&["import"]);
    let (code, out) = verify_code(&s, &["verify", "alpha"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn verify_reports_not_exported_and_all() {
    let s = Sandbox::new();
    s.ok(&["import"]);
    s.ok(&["build", "alpha"]);
    // Never exported: a difference, not a silent skip (exit 1), unless --store-only.
    let (code, out) = verify_code(&s, &["verify", "alpha"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not exported"), "{out}");
    let (code, out) = verify_code(&s, &["verify", "alpha", "--store-only"]);
    assert_eq!(code, 0, "{out}");
    s.ok(&["export", "alpha"]);
    s.ok(&[
        "build",
        "beta",
        "--spec",
        "data/cohorts/alpha/spec",
        "--seed",
        "3",
    ]);
    s.ok(&["export", "beta"]);
    s.write("data/cohorts/beta/manifest.json", "{}");
    let (code, out) = verify_code(&s, &["verify", "--all"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cohort alpha")
            && out.contains("cohort beta")
            && out.contains("2 cohorts: 1 ok, 1 differ, 0 failed"),
        "{out}"
    );
    let err = s.fails(&["verify", "nope"]);
    assert!(err.contains("no cohort \"nope\""), "{err}");
}
