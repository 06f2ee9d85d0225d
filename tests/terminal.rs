//! Terminal injection (docs/reliability.md, "Terminal output"): untrusted text — spec file
//! names, axis names and levels, catalog text, store content, paths in errors — never reaches
//! the terminal raw. ESC, BEL, CR, LF, bidi and zero-width characters inside a value are printed
//! as visible escapes by every report command and every error, so a value can neither send a
//! control sequence nor forge a line (a spec file named "x\npilot: ok" must not print a line
//! `pilot: ok`).

mod support;

use support::Sandbox;

/// The characters a crafted name carries: ESC (a colour sequence), BEL, CR, LF, a bidi
/// override and a zero-width space.
const EVIL: &str = "e\u{1b}[31mv\u{7}i\rl\nalpha: ok\u{202e}x\u{200b}";

/// The same without format characters (which ids and levels refuse, D20): ESC, BEL, CR, LF.
const CONTROLS: &str = "e\u{1b}[31mv\u{7}i\rl\nalpha: ok";

/// `text` as a double-quoted YAML scalar (YAML's own escapes: `\uXXXX`).
fn yaml_quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || !c.is_ascii() => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Asserts `text` holds none of the raw characters of [`EVIL`] and no forged line.
fn assert_clean(what: &str, text: &str) {
    for (c, name) in [
        ('\u{1b}', "ESC"),
        ('\u{7}', "BEL"),
        ('\r', "CR"),
        ('\u{202e}', "a bidi override"),
        ('\u{200b}', "a zero-width space"),
    ] {
        assert!(!text.contains(c), "{what}: raw {name} in:\n{text:?}");
    }
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("alpha: ok")),
        "{what}: a forged line in:\n{text}"
    );
}

/// Runs `args` and checks both streams, whatever the exit status.
fn check(s: &Sandbox, what: &str, args: &[&str]) -> (String, String) {
    let out = s.run(args);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_clean(&format!("{what} stdout"), &stdout);
    assert_clean(&format!("{what} stderr"), &stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    (stdout, stderr)
}

/// A cohort `evil` whose spec has an axis and a level holding [`EVIL`], and an include whose
/// file name holds it.
fn evil_cohort(s: &Sandbox) {
    let spec = s.path("data/cohorts/evil/spec");
    std::fs::create_dir_all(spec.join("items")).unwrap();
    let alpha = s.path("data/cohorts/alpha/spec");
    std::fs::copy(
        alpha.join("items/essays.csv"),
        spec.join(format!("items/{EVIL}.csv")),
    )
    .unwrap();
    let config = std::fs::read_to_string(alpha.join("config.yaml"))
        .unwrap()
        .replace(
            "'@file:items/essays.csv'",
            &yaml_quoted(&format!("@file:items/{EVIL}.csv")),
        );
    std::fs::write(spec.join("config.yaml"), config).unwrap();
}

#[test]
fn report_commands_escape_untrusted_names() {
    let s = Sandbox::baseline();
    evil_cohort(&s);
    let (built, _) = check(&s, "build", &["build", "evil"]);
    assert!(built.contains("cohort evil: built"), "{built}");
    check(&s, "export", &["export", "evil"]);
    let (shown, _) = check(&s, "show", &["show", "evil"]);
    assert!(
        shown.contains("\\u{1b}[31m"),
        "the escape is shown: {shown}"
    );
    check(&s, "show --spec", &["show", "evil", "--spec"]);
    check(&s, "verify", &["verify", "evil"]);
    // Edit the include: status and verify name the changed file.
    let include = s.path(&format!("data/cohorts/evil/spec/items/{EVIL}.csv"));
    let mut text = std::fs::read_to_string(&include).unwrap();
    text.push_str("essay-Y,gen-b\n");
    std::fs::write(&include, text).unwrap();
    let (status, _) = check(&s, "status", &["status"]);
    assert!(status.contains("evil:"), "{status}");
    check(&s, "status evil", &["status", "evil"]);
    check(&s, "verify --all", &["verify", "--all"]);
    check(&s, "diff", &["diff", "alpha", "evil"]);
    check(&s, "cohorts", &["cohorts"]);
}

#[test]
fn explain_and_spec_errors_escape_axis_names_and_values() {
    let s = Sandbox::new();
    for (name, evil) in [("controls", CONTROLS), ("format", EVIL)] {
        let quoted = yaml_quoted(evil);
        s.write(
            &format!("{name}.yaml"),
            format!(
                "axes:\n  {quoted}: [a, {quoted}]\n  b: [x]\noutput:\n  field_order: [{quoted}, b]\n"
            ),
        );
        let (plan, err) = check(&s, "explain", &["explain", &format!("{name}.yaml")]);
        if name == "controls" {
            assert!(
                plan.contains("e\\u{1b}[31mv\\u{7}i\\rl\\nalpha: ok"),
                "{plan}{err}"
            );
        } else {
            // Format characters in a level are refused (D20); the message shows them escaped.
            assert!(err.contains("\\u{202e}"), "{err}");
        }
        check(
            &s,
            "explain --json",
            &["explain", &format!("{name}.yaml"), "--json"],
        );
        if name == "controls" {
            let (sql, err) = check(&s, "sql", &["sql", &format!("{name}.yaml")]);
            assert!(
                sql.contains("e\\u{1b}[31mv\\u{7}i\\rl\\nalpha: ok"),
                "{sql}{err}"
            );
        }
    }
    // An error echoing a value, and one naming a path with control characters.
    s.write(
        "bool.yaml",
        format!(
            "axes:\n  {}: [true]\noutput:\n  field_order: [x]\n",
            yaml_quoted(EVIL)
        ),
    );
    let (_, err) = check(&s, "a spec error", &["explain", "bool.yaml"]);
    assert!(err.starts_with("error: "), "{err}");
    let (_, err) = check(&s, "a missing path", &["explain", &format!("{EVIL}.yaml")]);
    assert_eq!(
        err.lines().next().map(|l| l.starts_with("error: ")),
        Some(true)
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn query_tables_escape_catalog_text() {
    let s = Sandbox::baseline();
    let sql = "select char(27) || '[31mX' || char(7) || char(13) || char(10) || 'alpha: ok' || \
               char(8238) as v, 'plain' as w";
    for format in ["table", "markdown"] {
        let (out, _) = check(&s, format, &["query", sql, "--format", format]);
        assert!(
            out.contains("plain") && out.contains("\\u{1b}[31mX"),
            "{out}"
        );
    }
    // Data formats keep the bytes (CSV quotes the line break; JSON escapes it).
    let csv = s.run(&["query", sql, "--format", "csv"]);
    assert!(String::from_utf8_lossy(&csv.stdout).contains('\u{1b}'));
}

#[test]
fn catalog_text_in_a_template_name_is_escaped_in_import_warnings_and_errors() {
    let s = Sandbox::new();
    s.write(
        "models.csv",
        format!("id,model\n\"{}\",m\n", EVIL.replace('"', "")),
    );
    // An id with control characters is refused (D9); the message shows it escaped.
    let (_, err) = check(&s, "import", &["import", "llm-models", "models.csv"]);
    assert!(err.starts_with("error: "), "{err}");
}
