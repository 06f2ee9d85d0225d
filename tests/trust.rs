//! Pipes, special files and links (docs/reliability.md, "Pipes, special files and links"):
//! a closed stdout never decides the exit status; a FIFO, socket or device where a file is
//! read is refused at once; spec files with more than one hard link are refused; and
//! `compile --out` never replaces a device, FIFO or symlink.
//!
//! Every child runs under a deadline and is killed past it, so a regression that blocks on a
//! FIFO fails the test instead of hanging the suite. The deadline is a safety net, not a
//! measurement: every command here finishes in well under a second.

#![cfg(unix)]

mod support;

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::Sandbox;

/// How long a child may run before it is taken to hang.
const DEADLINE: Duration = Duration::from_secs(60);

/// What a bounded run produced.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` (stdout and stderr to files unless the caller set stdout), killing it past
/// [`DEADLINE`].
fn bounded(mut cmd: Command, what: &str, stdout_set: bool) -> Run {
    let logs = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (logs.path().join("stdout"), logs.path().join("stderr"));
    if !stdout_set {
        cmd.stdout(std::fs::File::create(&out_path).unwrap());
    }
    cmd.stderr(std::fs::File::create(&err_path).unwrap())
        .stdin(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    // Drop our copies of the child's stdio (a pipe's write end among them).
    drop(cmd);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            child.kill().ok();
            child.wait().unwrap();
            panic!("cohortdb {what}: still running after {DEADLINE:?}; it hangs");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code(),
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap(),
    }
}

/// Runs `cohortdb args…` in the sandbox under the deadline.
fn run(s: &Sandbox, args: &[&str]) -> Run {
    let mut cmd = s.std_cmd();
    cmd.args(args);
    bounded(cmd, &args.join(" "), false)
}

/// Runs `cohortdb args…` with stdout a pipe whose read end is closed before the child starts
/// (`cohortdb … | head -0`, without the race of `head` exiting late).
fn run_closed_stdout(s: &Sandbox, args: &[&str]) -> Run {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = s.std_cmd();
    cmd.args(args).stdout(writer);
    bounded(cmd, &args.join(" "), true)
}

/// Asserts exit 2 with one `error:` line containing `needle`, and no panic.
fn assert_refused(run: &Run, needle: &str) {
    assert_eq!(
        run.code,
        Some(2),
        "expected exit 2\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(
        run.stderr.contains(needle),
        "{needle:?} not in:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

fn is_fifo(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_fifo())
        .unwrap_or(false)
}

/// The fixture store with cohort `alpha` built and exported.
fn exported() -> Sandbox {
    let s = Sandbox::baseline();
    s.ok(&["export", "alpha"]);
    s
}

// ---------------------------------------------------------------------------------------------
// A closed stdout never decides the exit status.

#[test]
fn closed_stdout_verify_difference_still_exits_1() {
    let s = exported();
    let membership = s.path("data/cohorts/alpha/membership.csv");
    let mut text = std::fs::read_to_string(&membership).unwrap();
    text.push_str("evaluation,tampered,x,x,x,x\n");
    std::fs::write(&membership, text).unwrap();
    let run = run_closed_stdout(&s, &["verify", "alpha"]);
    assert_eq!(run.code, Some(1), "stderr:\n{}", run.stderr);
    assert_eq!(run.stderr, "");
}

#[test]
fn closed_stdout_verify_all_with_an_unverifiable_cohort_still_exits_2() {
    let s = exported();
    // membership.csv turned into a directory: that cohort cannot be verified.
    let membership = s.path("data/cohorts/alpha/membership.csv");
    std::fs::remove_file(&membership).unwrap();
    std::fs::create_dir(&membership).unwrap();
    let run = run_closed_stdout(&s, &["verify", "--all"]);
    assert_refused(&run, "1 cohort could not be verified");
}

#[test]
fn closed_stdout_query_stops_reading_and_exits_0() {
    let s = Sandbox::baseline();
    // 20,000 rows of 50 characters (more than any pipe or output buffer holds), then a runtime
    // error. With a reader the error is reported; once the reader is gone the statement stops
    // at the first row nobody reads (the rest is never computed, so no failure happened) and
    // the command exits 0, like `compile` (docs/reliability.md, "Pipes, special files and
    // links").
    let sql = "with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000) \
               select case when x < 20000 then printf('%050d', x) else json('not json ' || x) end \
               from c";
    let open = run(&s, &["query", sql, "--format", "csv"]);
    assert_refused(&open, "malformed JSON");
    let closed = run_closed_stdout(&s, &["query", sql, "--format", "csv"]);
    assert_eq!(closed.code, Some(0), "{}", closed.stderr);
    assert_eq!(closed.stderr, "");
    // An endless statement stops too: the command ends at the first write nobody reads.
    let endless = "with recursive n(i) as (select 1 union all select i + 1 from n) select i from n";
    for format in ["csv", "table", "json", "jsonl", "tsv", "markdown"] {
        let closed = run_closed_stdout(&s, &["query", endless, "--format", format]);
        assert_eq!(closed.code, Some(0), "{format}: {}", closed.stderr);
    }
}

#[test]
fn closed_stdout_failing_build_import_and_export_exit_2() {
    let s = Sandbox::baseline();
    let before = s.store_digest();
    s.write("bad.yaml", "axes: [\n");
    assert_refused(
        &run_closed_stdout(&s, &["build", "beta", "--spec", "bad.yaml"]),
        "bad.yaml",
    );
    s.write("models.csv", "id,model\n\"unterminated\n");
    assert_refused(
        &run_closed_stdout(&s, &["import", "llm-models", "models.csv"]),
        "models.csv",
    );
    assert_refused(&run_closed_stdout(&s, &["export", "nope"]), "nope");
    assert_eq!(s.store_digest(), before);
}

#[test]
fn closed_stdout_of_a_successful_command_exits_0() {
    let s = exported();
    for args in [
        &["verify", "alpha"][..],
        &["verify", "--all"],
        &["cohorts"],
        &["query", "select * from cohorts", "--format", "csv"],
        &["compile", "data/cohorts/alpha/spec"],
        &["explain", "data/cohorts/alpha/spec"],
        &["import"],
        &["build", "alpha"],
        &["export", "alpha"],
    ] {
        let run = run_closed_stdout(&s, args);
        assert_eq!(run.code, Some(0), "{args:?}\nstderr:\n{}", run.stderr);
        assert!(!run.stderr.contains("error"), "{args:?}: {}", run.stderr);
    }
}

// ---------------------------------------------------------------------------------------------
// Special files are refused at once, never read.

#[test]
fn a_fifo_catalog_csv_is_refused_at_once() {
    let s = Sandbox::new();
    let fifo = s.path("data/1_raw/llm_models.csv");
    mkfifo(&fifo);
    let err = "llm_models.csv: is a FIFO, not a regular file";
    assert_refused(&run(&s, &["import"]), err);
    assert_refused(
        &run(&s, &["import", "llm-models", fifo.to_str().unwrap()]),
        err,
    );
    assert_eq!(s.store_digest(), "no store");
}

#[test]
fn a_socket_catalog_csv_is_refused() {
    let s = Sandbox::new();
    let path = s.path("data/1_raw/draft_templates.csv");
    std::fs::remove_file(&path).unwrap();
    let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    assert_refused(
        &run(&s, &["import"]),
        "draft_templates.csv: is a socket, not a regular file",
    );
}

#[test]
fn a_fifo_template_body_or_concept_description_is_refused_at_once() {
    for body in [
        "data/1_raw/templates/draft/draft-A.txt",
        "data/1_raw/concepts/descriptions-paragraph/tides.txt",
    ] {
        let s = Sandbox::new();
        mkfifo(&s.path(body));
        let name = Path::new(body).file_name().unwrap().to_str().unwrap();
        assert_refused(
            &run(&s, &["import"]),
            &format!("{name}: is a FIFO, not a regular file"),
        );
        assert_eq!(s.store_digest(), "no store", "{body}");
    }
}

#[test]
fn a_fifo_spec_or_included_file_is_refused_at_once() {
    let s = Sandbox::baseline();
    let before = s.store_digest();
    mkfifo(&s.path("data/cohorts/alpha/spec/items/essays.csv"));
    let err = "essays.csv is a FIFO, not a regular file";
    assert_refused(&run(&s, &["compile", "data/cohorts/alpha/spec"]), err);
    assert_refused(&run(&s, &["build", "alpha"]), err);

    mkfifo(&s.path("fifo-spec/config.yaml"));
    let err = "config.yaml: is a FIFO, not a regular file";
    assert_refused(&run(&s, &["compile", "fifo-spec"]), err);
    assert_refused(&run(&s, &["compile", "fifo-spec/config.yaml"]), err);
    assert_refused(&run(&s, &["build", "beta", "--spec", "fifo-spec"]), err);
    assert_eq!(s.store_digest(), before);
}

#[test]
fn fifo_compile_catalogs_are_refused_at_once() {
    let s = Sandbox::new();
    mkfifo(&s.path("catalog.json"));
    mkfifo(&s.path("models.csv"));
    assert_refused(
        &run(
            &s,
            &[
                "compile",
                "data/cohorts/alpha/spec",
                "--catalog",
                "catalog.json",
            ],
        ),
        "catalog.json: is a FIFO, not a regular file",
    );
    assert_refused(
        &run(
            &s,
            &[
                "compile",
                "data/cohorts/alpha/spec",
                "--catalog-csv",
                "draft_llm=models.csv",
            ],
        ),
        "models.csv: is a FIFO, not a regular file",
    );
}

#[test]
fn fifo_export_files_are_refused_by_verify_and_export() {
    let s = exported();
    mkfifo(&s.path("data/cohorts/alpha/membership.csv"));
    let err = "membership.csv: is a FIFO, not a regular file";
    assert_refused(&run(&s, &["verify", "alpha"]), err);
    assert_refused(&run(&s, &["export", "alpha"]), err);
    assert!(is_fifo(&s.path("data/cohorts/alpha/membership.csv")));
}

// ---------------------------------------------------------------------------------------------
// Spec files with more than one hard link are refused (D6).

#[test]
fn a_hard_linked_include_is_refused() {
    let s = Sandbox::baseline();
    let before = s.store_digest();
    let include = s.path("data/cohorts/alpha/spec/items/essays.csv");
    let outside = s.path("elsewhere.csv");
    std::fs::rename(&include, &outside).unwrap();
    std::fs::hard_link(&outside, &include).unwrap();
    let err = "essays.csv has 2 hard links";
    assert_refused(&run(&s, &["compile", "data/cohorts/alpha/spec"]), err);
    assert_refused(&run(&s, &["build", "alpha"]), err);
    assert_eq!(s.store_digest(), before);
    // A copy in place of the link is accepted again.
    std::fs::remove_file(&include).unwrap();
    std::fs::copy(&outside, &include).unwrap();
    s.ok(&["build", "alpha"]);
}

#[test]
fn a_hard_linked_config_is_refused() {
    let s = Sandbox::baseline();
    let config = s.path("data/cohorts/alpha/spec/config.yaml");
    std::fs::hard_link(&config, s.path("config-link.yaml")).unwrap();
    assert_refused(
        &run(&s, &["compile", "data/cohorts/alpha/spec"]),
        "config.yaml has 2 hard links",
    );
}

// ---------------------------------------------------------------------------------------------
// `compile --out` never replaces a device, FIFO or symlink.

const ALPHA: &str = "data/cohorts/alpha/spec";

#[test]
fn compile_out_streams_into_a_fifo_and_keeps_it() {
    let s = Sandbox::new();
    let fifo = s.path("rows.csv");
    mkfifo(&fifo);
    // The read end is open (non-blocking) before compile starts, so compile finds a reader.
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let run = run(&s, &["compile", ALPHA, "--out", "rows.csv"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let mut received = String::new();
    reader.read_to_string(&mut received).unwrap();
    // The same bytes as a regular --out file.
    s.ok(&["compile", ALPHA, "--out", "file.csv"]);
    assert_eq!(received, s.read("file.csv"));
    assert!(received.contains("\r\n"));
    assert!(is_fifo(&fifo), "the FIFO was replaced");
}

#[test]
fn compile_out_to_a_fifo_nobody_reads_is_refused_at_once() {
    let s = Sandbox::new();
    let fifo = s.path("rows.csv");
    mkfifo(&fifo);
    assert_refused(
        &run(&s, &["compile", ALPHA, "--out", "rows.csv"]),
        "rows.csv: is a FIFO that no process is reading",
    );
    assert!(is_fifo(&fifo), "the FIFO was replaced");
}

#[test]
fn compile_out_through_a_symlink_to_a_character_device_keeps_both() {
    let s = Sandbox::new();
    let link = s.path("null.csv");
    std::os::unix::fs::symlink("/dev/null", &link).unwrap();
    let run = run(&s, &["compile", ALPHA, "--out", "null.csv"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    // No temporary file is left beside the link.
    let names: Vec<_> = std::fs::read_dir(s.path(""))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn compile_out_refuses_a_symlink_to_a_file_and_a_directory() {
    let s = Sandbox::new();
    s.write("target.csv", "keep me\n");
    let link = s.path("link.csv");
    std::os::unix::fs::symlink(s.path("target.csv"), &link).unwrap();
    assert_refused(
        &run(&s, &["compile", ALPHA, "--out", "link.csv"]),
        "link.csv: is a symlink to a regular file",
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(s.read("target.csv"), "keep me\n");

    std::os::unix::fs::symlink(s.path("missing.csv"), s.path("dangling.csv")).unwrap();
    assert_refused(
        &run(&s, &["compile", ALPHA, "--out", "dangling.csv"]),
        "dangling.csv: is a dangling symlink",
    );
    assert!(!s.path("missing.csv").exists());

    std::fs::create_dir(s.path("dir.csv")).unwrap();
    assert_refused(
        &run(&s, &["compile", ALPHA, "--out", "dir.csv"]),
        "dir.csv: is a directory",
    );
}
