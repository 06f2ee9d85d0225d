//! Loads the extension into the `sqlite3` shell (the system's SQLite, not a bundled one) and
//! checks the SQL functions against the vectors of docs/reference.md §3.9. Needs `sqlite3` on
//! the PATH; tests/run.sh installs or skips it.

use std::path::PathBuf;
use std::process::Command;

/// The cdylib cargo built beside this test (`target/<profile>/libcohortdb_sqlite.so`).
fn extension() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    let name = format!(
        "{}cohortdb_sqlite{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let path = profile_dir.join(name);
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// Runs `sql` in `sqlite3 :memory:` with the extension loaded; returns stdout, stderr, success.
fn shell(sql: &str) -> (String, String, bool) {
    let ext = extension();
    // `.load` takes the path without its suffix, as users type it.
    let stem = ext.with_extension("");
    let out = Command::new("sqlite3")
        .arg(":memory:")
        .arg("-cmd")
        .arg(format!(".load {}", stem.display()))
        .arg(sql)
        .output()
        .expect("sqlite3 runs (install it: apt-get install -y sqlite3)");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.success(),
    )
}

#[test]
fn gen_id_in_the_sqlite3_shell_matches_the_reference_vectors() {
    // docs/reference.md §3.9: (stage, canonical signature, collision index, gen_id).
    let vectors = [
        (
            "draft",
            "combo-1|draft-a|gen-model|1",
            0,
            "d_21hnyjluy35totlo",
        ),
        (
            "draft",
            "combo-1|draft-a|gen-model|2",
            0,
            "d_j20xxjx46jf04bt",
        ),
        (
            "essay",
            "d_21hnyjluy35totlo|essay-x|1",
            0,
            "e_2n6ko9fgp89xemwt",
        ),
        (
            "evaluation",
            "e_2n6ko9fgp89xemwt|eval-1|eval-model|1",
            0,
            "v_1i6m1c7p4o18cct",
        ),
        ("draft", "combo|tpl|model|1", 0, "d_5cucb6yezk5z03ri"),
        ("draft", "combo|tpl|model|1", 1, "d_3lmvqkgnqsit2o5l-1"),
        (
            "draft",
            "comboa|draft-tpl|gen-model|2",
            0,
            "d_518wg2h1qoy8ycab",
        ),
        (
            "draft",
            "combo_v1_a|creative-synthesis-v10|gemini_25_pro|1",
            0,
            "d_530mv6a462mquuj9",
        ),
    ];
    let sql: Vec<String> = vectors
        .iter()
        .map(|(stage, sig, n, _)| format!("select gen_id('{stage}', '{sig}', {n});"))
        .collect();
    let (stdout, stderr, ok) = shell(&sql.join(" "));
    assert!(ok, "{stderr}");
    let expected: Vec<&str> = vectors.iter().map(|v| v.3).collect();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn gen_signature_normalises_and_digest_is_sixteen_bytes() {
    let (stdout, stderr, ok) = shell(
        "select gen_id('draft', gen_signature(' ComboA', 'Draft-Tpl', 'Gen-Model', '2')); \
         select length(gen_signature_digest('a|1'));",
    );
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "d_518wg2h1qoy8ycab\n16\n");
}

#[test]
fn bad_arguments_are_sql_errors_naming_the_value() {
    let (_, stderr, ok) = shell("select gen_id('drafts', 'a|1');");
    assert!(!ok);
    assert!(stderr.contains("unknown stage \"drafts\""), "{stderr}");
    let (_, stderr, ok) = shell("select gen_signature('a', ' ', 1);");
    assert!(!ok);
    assert!(stderr.contains("signature part 2 is empty"), "{stderr}");
}
