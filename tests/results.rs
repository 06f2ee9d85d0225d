//! The results ledger through the real binary: `import gens`, `scores`, `status --missing`,
//! `results verify` (docs/cli.md; docs/reference.md "Results"; docs/decisions.md D25).

mod support;

use std::path::Path;

use support::{Sandbox, copy_tree, fixtures};

/// Every file below `dir`, relative, sorted.
fn files_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// Runs `import gens` then `scores ID` on a copy of `input` and compares every report file with
/// `expected` (where `<DATA_ROOT>` stands for the resolved data root), file set included.
fn reproduces(input: &Path, expected: &Path, cohort: &str) {
    let sandbox = Sandbox::empty();
    copy_tree(input, &sandbox.path("data"));
    sandbox.ok(&["import", "gens"]);
    sandbox.ok(&["scores", cohort]);
    let root = std::fs::canonicalize(sandbox.path("data")).unwrap();
    let reports = sandbox.path(&format!("data/cohorts/{cohort}/reports"));
    assert_eq!(
        files_below(&reports),
        files_below(expected),
        "{}",
        input.display()
    );
    for rel in files_below(expected) {
        let want = std::fs::read_to_string(expected.join(&rel))
            .unwrap()
            .replace("<DATA_ROOT>", &root.display().to_string());
        let got = std::fs::read_to_string(reports.join(&rel)).unwrap();
        assert_eq!(got, want, "{cohort}: {rel}");
    }
}

/// The reference's own outputs, in the product owner's folder beside the repository (CI has
/// it); skipped with one line elsewhere. Nothing of it is copied into the repository.
#[test]
fn the_reference_results_examples_reproduce_byte_for_byte() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/results-examples");
    let Ok(cases) = std::fs::read_dir(&shared) else {
        eprintln!("skipped: {} is not there", shared.display());
        return;
    };
    let mut seen = 0;
    for case in cases {
        let case = case.unwrap().path();
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("case.json")).unwrap()).unwrap();
        let cohort = meta["cohort_id"].as_str().unwrap();
        reproduces(&case.join("input"), &case.join("expected/reports"), cohort);
        seen += 1;
    }
    assert!(seen >= 4, "{seen} cases");
}

fn quirks() -> Sandbox {
    let sandbox = Sandbox::empty();
    copy_tree(&fixtures().join("results/quirks"), &sandbox.path("data"));
    sandbox
}

/// Our own fixture: membership quirks (case, spaces, duplicates), template fallbacks through
/// Python's `or`, column typing, origin rules, BOMs, Unicode digits, NaN, -0.0, 1e+16,
/// CSV quoting, a draft that is missing, raw_metadata, parsed_metadata never read.
#[test]
fn the_quirks_fixture_reproduces_its_reviewed_outputs() {
    reproduces(
        &fixtures().join("results/quirks"),
        &fixtures().join("results/quirks-expected"),
        "quirks",
    );
}

#[test]
fn rows_print_as_csv_and_json_instead_of_files() {
    let sandbox = quirks();
    sandbox.ok(&["import", "gens"]);
    let csv = sandbox.ok(&["scores", "quirks", "--format", "csv"]);
    let root = std::fs::canonicalize(sandbox.path("data")).unwrap();
    let want = std::fs::read_to_string(
        fixtures().join("results/quirks-expected/summary/evaluation_scores.csv"),
    )
    .unwrap()
    .replace("<DATA_ROOT>", &root.display().to_string());
    assert_eq!(csv, want);
    let json: serde_json::Value =
        serde_json::from_str(&sandbox.ok(&["scores", "quirks", "--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 9);
    assert_eq!(json[0]["score"], "10.0");
    assert_eq!(json[5]["error"], "missing parsed.txt");
    assert!(
        !sandbox.path("data/cohorts/quirks/reports").exists(),
        "--format writes nothing"
    );
    let generations = sandbox.query("select count(*) as n from generations");
    assert!(generations.contains("12"), "{generations}");
}

#[test]
fn a_cohort_the_reference_would_abort_is_refused_and_nothing_is_written_d25() {
    for (file, bytes, says) in [
        (
            "gens/evaluation/v1/metadata.json",
            &b"{\"parent_gen_id\": \"e1\",}"[..],
            "not valid JSON",
        ),
        ("gens/essay/e1/raw.txt", &b"ok\xff"[..], "not valid UTF-8"),
        (
            "gens/draft/d1/metadata.json",
            &b"\xef\xbb\xbf{}"[..],
            "not valid JSON",
        ),
        (
            "gens/evaluation/v3/raw_metadata.json",
            &b"[1]"[..],
            "'list' object has no attribute 'get'",
        ),
    ] {
        let sandbox = quirks();
        sandbox.write(&format!("data/{file}"), bytes);
        sandbox.ok(&["import", "gens"]);
        let err = sandbox.fails(&["scores", "quirks"]);
        assert!(err.contains(says), "{file}: {err}");
        assert!(err.contains(file.trim_start_matches("gens/")), "{err}");
        assert!(
            err.contains("nothing was written (see docs/decisions.md#d25)"),
            "{err}"
        );
        assert!(
            !sandbox.path("data/cohorts/quirks/reports").exists(),
            "{file}"
        );
    }
    // A file the reference never reads is harmless.
    let sandbox = quirks();
    sandbox.write("data/gens/evaluation/v1/parsed_metadata.json", b"\xff{");
    sandbox.ok(&["import", "gens"]);
    sandbox.ok(&["scores", "quirks"]);
}

/// `scores` reads the ledger in its key order and puts the rows back in membership order
/// (docs/decisions.md D35): the refusal still names the first failing member in membership
/// order, not in key order.
#[test]
fn the_refusal_names_the_first_failing_member_in_membership_order_d35() {
    let sandbox = quirks();
    sandbox.write(
        "data/cohorts/quirks/membership.csv",
        b"stage,gen_id\nevaluation,v4\nevaluation,v3\nevaluation,v1\nevaluation,v2\n",
    );
    sandbox.write("data/gens/evaluation/v1/metadata.json", b"{\"a\": 1,}");
    sandbox.write("data/gens/evaluation/v3/metadata.json", b"{\"b\": 2,}");
    sandbox.ok(&["import", "gens"]);
    let err = sandbox.fails(&["scores", "quirks"]);
    assert!(err.contains("evaluation/v3/metadata.json"), "{err}");
    assert!(!err.contains("evaluation/v1/"), "{err}");
    assert!(!sandbox.path("data/cohorts/quirks/reports").exists());
}

#[test]
fn re_importing_an_unchanged_tree_adds_nothing_and_a_change_adds_a_version() {
    let sandbox = quirks();
    // Files written within 2 s of an import are "racy" (docs/storage.md): that import reads
    // them again next time. Leave that window first, so the second import must read nothing.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    sandbox.ok(&["import", "gens"]);
    let before = sandbox.store_digest();
    let out = sandbox.ok(&["import", "gens"]);
    assert!(out.contains("nothing new"), "{out}");
    assert_eq!(
        sandbox.store_digest(),
        before,
        "the store is byte-identical"
    );
    // An edited parsed.txt: a new version, the old one kept (history), the new score current.
    sandbox.write("data/gens/evaluation/v8/parsed.txt", b"reasoning\n3");
    let out = sandbox.ok(&["import", "gens"]);
    assert!(out.contains("1 changed"), "{out}");
    let history = sandbox.query(
        "select version, score from results_generations where stage = 'evaluation' \
         and gen_id = 'v8' order by version",
    );
    assert!(
        history.contains("1,8.0") && history.contains("2,3.0"),
        "{history}"
    );
    let current = sandbox.query("select score from generations where gen_id = 'v8'");
    assert!(
        current.contains("3.0") && !current.contains("8.0"),
        "{current}"
    );
    // A file added to a folder whose other files are unchanged: the folder's own stat moved,
    // so it is listed again (an unchanged folder is not listed, only its files stat'ed).
    sandbox.write("data/gens/evaluation/v2/raw.txt", b"raw output");
    let out = sandbox.ok(&["import", "gens"]);
    assert!(out.contains("1 changed"), "{out}");
    // A file replaced by a rename (another inode, the same size and content length).
    sandbox.write("data/gens/evaluation/v3/parsed.tmp", b"reasoning\n4");
    let before = std::fs::read(sandbox.path("data/gens/evaluation/v3/parsed.txt")).unwrap();
    std::fs::rename(
        sandbox.path("data/gens/evaluation/v3/parsed.tmp"),
        sandbox.path("data/gens/evaluation/v3/parsed.txt"),
    )
    .unwrap();
    let out = sandbox.ok(&["import", "gens"]);
    assert!(out.contains("1 changed"), "{out} (was {before:?})");
    // A deleted folder: a vanished version.
    std::fs::remove_dir_all(sandbox.path("data/gens/evaluation/v9")).unwrap();
    let out = sandbox.ok(&["import", "gens"]);
    assert!(out.contains("1 vanished"), "{out}");
    // The ledger is append-only, even for raw SQL.
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    for sql in [
        "delete from results_generations",
        "update results_files set size = 0",
        "delete from results_observations",
        "delete from results_imports",
        "delete from results_superseded",
    ] {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn verify_reports_edited_and_deleted_outputs_even_with_the_same_size_and_mtime() {
    let sandbox = quirks();
    sandbox.ok(&["import", "gens"]);
    let (code, out) = sandbox.verdict(&["results", "verify"]);
    assert_eq!(code, 0, "{out}");
    // Same size, mtime set back: the incremental import cannot see it; verify's re-hash does.
    let path = sandbox.path("data/gens/evaluation/v8/parsed.txt");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, b"9").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    std::fs::remove_file(sandbox.path("data/gens/evaluation/v1/parsed.txt")).unwrap();
    let (code, out) = sandbox.verdict(&["results", "verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("v8/parsed.txt: changed"), "{out}");
    assert!(out.contains("v1/parsed.txt: vanished"), "{out}");
    // ctime still moved: the next import reads the edited file again and records it.
    let out = sandbox.ok(&["import", "gens"]);
    assert!(out.contains("2 changed"), "{out}");
    let (code, _) = sandbox.verdict(&["results", "verify"]);
    assert_eq!(code, 0);
}

#[cfg(unix)]
#[test]
fn links_and_fifos_below_the_gens_root_are_never_followed_or_opened() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("parsed.txt"), b"10").unwrap();
    std::fs::write(outside.path().join("metadata.json"), b"{}").unwrap();
    // A symlinked gen folder: recorded as a link; a cohort visiting it is refused.
    let sandbox = quirks();
    std::fs::remove_dir_all(sandbox.path("data/gens/evaluation/v5")).unwrap();
    std::os::unix::fs::symlink(outside.path(), sandbox.path("data/gens/evaluation/v5")).unwrap();
    let out = sandbox.run(&["import", "gens"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("symlink (not followed)"));
    let err = sandbox.fails(&["scores", "quirks"]);
    assert!(
        err.contains("evaluation/v5") && err.contains("symlink"),
        "{err}"
    );
    // A FIFO as parsed.txt: the import does not hang, scores refuses it.
    let sandbox = quirks();
    let fifo = sandbox.path("data/gens/evaluation/v6/parsed.txt");
    std::fs::remove_file(&fifo).unwrap();
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let mut child = sandbox.std_cmd().args(["import", "gens"]).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("import gens hung on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let err = sandbox.fails(&["scores", "quirks"]);
    assert!(
        err.contains("v6/parsed.txt") && err.contains("FIFO"),
        "{err}"
    );
    // A stage folder that is a link: the import is refused, nothing recorded.
    let sandbox = quirks();
    std::fs::remove_dir_all(sandbox.path("data/gens/draft")).unwrap();
    std::os::unix::fs::symlink(outside.path(), sandbox.path("data/gens/draft")).unwrap();
    let err = sandbox.fails(&["import", "gens"]);
    assert!(
        err.contains("gens/draft") && err.contains("symlink"),
        "{err}"
    );
}

#[test]
fn scores_errors_name_what_to_do() {
    let sandbox = quirks();
    sandbox.ok(&["import", "gens"]);
    let err = sandbox.fails(&["scores", "nope"]);
    assert!(err.contains("no cohort \"nope\""), "{err}");
    let err = sandbox.fails(&["scores", "a/b"]);
    assert!(err.contains("invalid cohort id"), "{err}");
    let other = Sandbox::empty();
    copy_tree(&fixtures().join("results/quirks"), &other.path("data"));
    let err = other.fails(&["scores", "quirks"]);
    assert!(err.contains("no store"), "{err}");
    other.ok(&["init"]);
    let err = other.fails(&["scores", "quirks"]);
    assert!(err.contains("no imported gens folder"), "{err}");
    let err = sandbox.fails(&["scores", "quirks", "--gens-root", "elsewhere"]);
    assert!(err.contains("imported from"), "{err}");
    let bad = quirks();
    bad.write(
        "data/cohorts/quirks/membership.csv",
        b"stage,id\nevaluation,v1\n",
    );
    bad.ok(&["import", "gens"]);
    let err = bad.fails(&["scores", "quirks"]);
    assert!(
        err.contains("membership.csv") && err.contains("gen_id"),
        "{err}"
    );
}

#[test]
fn status_reports_progress_per_stage_and_lists_missing_parsed_outputs() {
    let sandbox = Sandbox::baseline();
    let members = sandbox
        .query("select stage, gen_id from membership where cohort_id = 'alpha' order by ordinal");
    // Give every draft a prompt and a parsed output, and the first evaluation a parsed one.
    let mut first_eval = None;
    let mut later_evals = Vec::new();
    for line in members.lines().skip(1) {
        let (stage, gen_id) = line.split_once(',').unwrap();
        if stage == "draft" {
            sandbox.write(&format!("data/gens/draft/{gen_id}/prompt.txt"), "p");
            sandbox.write(&format!("data/gens/draft/{gen_id}/parsed.txt"), "d");
        }
        if stage == "evaluation" && first_eval.is_none() {
            first_eval = Some(gen_id.to_string());
            sandbox.write(&format!("data/gens/evaluation/{gen_id}/parsed.txt"), "7");
        } else if stage == "evaluation" {
            later_evals.push(gen_id.to_string());
        }
    }
    // The missing list is in membership order, which is not the ledger's key order here.
    let mut sorted = later_evals.clone();
    sorted.sort();
    assert_ne!(
        sorted, later_evals,
        "the fixture's evaluations are in key order"
    );
    sandbox.ok(&["import", "gens"]);
    let json: serde_json::Value = serde_json::from_str(
        &sandbox
            .verdict(&["status", "alpha", "--missing", "--format", "json"])
            .1,
    )
    .unwrap();
    support::schema::validate("status.schema.json", &json.to_string());
    let stages = &json["cohorts"][0]["progress"]["stages"];
    assert_eq!(stages[0]["stage"], "draft");
    assert_eq!(stages[0]["with_parsed"], stages[0]["members"]);
    assert_eq!(stages[0]["with_raw"], 0);
    assert_eq!(stages[2]["with_parsed"], 1);
    let missing = stages[2]["missing"].as_array().unwrap();
    assert_eq!(
        missing.len() as u64,
        stages[2]["members"].as_u64().unwrap() - 1
    );
    assert!(!missing.iter().any(|m| m == first_eval.as_deref().unwrap()));
    assert_eq!(
        missing
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect::<Vec<_>>(),
        later_evals
    );
    let progress = sandbox.query(
        "select stage, members, with_parsed from cohort_progress where cohort_id = 'alpha' order by stage",
    );
    assert!(
        progress.contains(&format!("draft,{0},{0}", stages[0]["members"])),
        "{progress}"
    );
    let text = sandbox.verdict(&["status", "alpha"]).1;
    assert!(text.contains("alpha: evaluation"), "{text}");
    // The view gives the rows `scores` prints for a stored cohort (the score as a number).
    let rows = sandbox.ok(&["scores", "alpha", "--format", "csv"]);
    let view = sandbox.query(
        "select gen_id, parent_gen_id, evaluation_template, evaluation_llm_model, \
         score_text as score, error, evaluation_response_path, combo_id, draft_template, \
         generation_template, generation_model, origin_cohort_id, generation_response_path, \
         input_mode, copied_from from evaluation_scores where cohort_id = 'alpha' order by ordinal",
    );
    assert_eq!(view.replace(",\"\",", ",,"), rows);
}

#[test]
fn every_results_report_validates_against_its_schema() {
    let sandbox = quirks();
    let import = support::schema::validate(
        "import-gens.schema.json",
        &sandbox.ok(&["import", "gens", "--json"]),
    );
    assert_eq!(import["generations"]["evaluation"], 9);
    assert!(import["import_id"].is_i64());
    let scores = support::schema::validate(
        "scores.schema.json",
        &sandbox.ok(&["scores", "quirks", "--format", "report"]),
    );
    assert_eq!(scores["membership"], "membership_csv");
    assert_eq!(scores["rows"], 9);
    support::schema::validate(
        "scores-rows.schema.json",
        &sandbox.ok(&["scores", "quirks", "--format", "json"]),
    );
    let verify = support::schema::validate(
        "results-verify.schema.json",
        &sandbox.ok(&["results", "verify", "--json"]),
    );
    assert_eq!(verify["changes"], serde_json::json!([]));
    let again = support::schema::validate(
        "import-gens.schema.json",
        &sandbox.ok(&["import", "gens", "--format", "json"]),
    );
    assert_eq!(again["import_id"], serde_json::Value::Null);
    // Progress is of a stored cohort.
    let stored = Sandbox::baseline();
    stored.write("data/gens/draft/unlisted/parsed.txt", "x");
    stored.ok(&["import", "gens", "-q"]);
    let progress = support::schema::validate(
        "progress.schema.json",
        &stored.ok(&["results", "progress", "alpha", "--missing", "--json"]),
    );
    assert_eq!(progress["stages"][2]["with_parsed"], 0);
    assert_eq!(
        progress["stages"][2]["missing"].as_array().unwrap().len() as u64,
        progress["stages"][2]["members"].as_u64().unwrap()
    );
    let err = stored.fails(&["results", "progress", "nope"]);
    assert!(err.contains("nope"), "{err}");
    // Empty rows: an empty JSON array, the CSV header alone.
    let empty = Sandbox::empty();
    empty.write("data/cohorts/none/membership.csv", "stage,gen_id\n");
    empty.write("data/gens/.keep", "");
    empty.ok(&["import", "gens", "-q"]);
    assert_eq!(empty.ok(&["scores", "none", "--format", "json"]), "[]\n");
    let csv = empty.ok(&["scores", "none", "--format", "csv"]);
    assert!(csv.starts_with("gen_id,parent_gen_id,") && csv.lines().count() == 1);
}

#[test]
fn import_arguments_that_do_not_fit_are_refused() {
    let sandbox = quirks();
    let err = sandbox.fails(&["import", "gens", "some.csv"]);
    assert!(err.contains("import gens takes no FILE"), "{err}");
    let err = sandbox.fails(&["import", "concepts"]);
    assert!(err.contains("import KIND needs a FILE"), "{err}");
    let err = sandbox.fails(&["import", "--gens-root", "data/gens"]);
    assert!(err.contains("--gens-root goes with `import gens`"), "{err}");
    // A mistyped data root is not imported as an empty tree.
    let err = sandbox.fails(&["--data-root", "dta", "import", "gens"]);
    assert!(err.contains("dta"), "{err}");
    assert!(
        !sandbox.db().exists(),
        "a refused first command leaves no store"
    );
    // A named gens root that does not exist is recorded as empty on a new ledger.
    let out = sandbox.run(&["import", "gens", "--gens-root", "nowhere"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such folder"));
}

#[test]
fn gens_roots_and_ids_that_cannot_be_read_safely_are_refused() {
    // A gens root that is a file.
    let sandbox = quirks();
    sandbox.write("plain-file", "x");
    let err = sandbox.fails(&["import", "gens", "--gens-root", "plain-file"]);
    assert!(err.contains("plain-file: not a folder"), "{err}");
    assert!(!sandbox.db().exists());
    // A gens root that vanished after an import: not recorded as every folder vanishing.
    sandbox.ok(&["import", "gens", "-q"]);
    let before = sandbox.store_digest();
    std::fs::rename(sandbox.path("data/gens"), sandbox.path("data/gens-moved")).unwrap();
    let err = sandbox.fails(&["import", "gens"]);
    assert!(
        err.contains("no such folder; the ledger holds 12 generation folders"),
        "{err}"
    );
    assert_eq!(sandbox.store_digest(), before, "nothing recorded");
    std::fs::rename(sandbox.path("data/gens-moved"), sandbox.path("data/gens")).unwrap();
    // A membership gen_id or a parent_gen_id that would leave gens/<stage>/.
    for (file, content, says) in [
        (
            "data/cohorts/quirks/membership.csv",
            "stage,gen_id\nevaluation,../essay/e1\n",
            "membership gen_id",
        ),
        (
            "data/gens/evaluation/v1/metadata.json",
            "{\"parent_gen_id\": \"../draft/d1\"}",
            "parent_gen_id",
        ),
    ] {
        let sandbox = quirks();
        sandbox.write(file, content);
        sandbox.ok(&["import", "gens", "-q"]);
        let err = sandbox.fails(&["scores", "quirks"]);
        assert!(
            err.contains(says) && err.contains("is not a folder name"),
            "{file}: {err}"
        );
        assert!(!sandbox.path("data/cohorts/quirks/reports").exists());
    }
}
