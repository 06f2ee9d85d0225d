//! The docs run: every command and spec block of README.md, docs/user-guide.md and docs/cli.md
//! is executed with the real `cohortdb` binary on a scratch copy of the bundled example data
//! (`examples/data`), and the outputs the docs show are compared with the outputs produced. A
//! documented output that changes fails this test.
//!
//! How a document is read (docs/cli.md, "Examples in these docs", says the same for readers):
//!
//! - Each document gets one scratch project: a fresh folder holding `data/` (a copy of
//!   examples/data) and `examples/` (a copy of the repository's), no store yet; every command runs in that folder, in document order, so an
//!   example sees what the examples before it did. `cohortdb` is the binary under test (first
//!   on `PATH`); `COHORTDB_*` variables are removed, `HOME` is the scratch folder, `TZ=UTC`.
//! - ```` ```console ```` — a transcript: each `$ ` line is a command (run by bash; lines that
//!   continue an open quote or end in `\` belong to it), the lines up to the next `$ ` its
//!   expected output, stdout and stderr together as a terminal shows them. A command must exit
//!   0 unless its shown output has an `error:` line or the next command is `echo $?` (which
//!   prints the status: each command starts with `$?` set to the previous one's).
//! - ```` ```sh ```` — commands alone: each runs and must exit 0; the output is not compared.
//!   `./examples/run.sh` runs the copy of the repository's script with the binary under test
//!   (`COHORTDB_EXAMPLE_BIN`), which prints as `target/release/cohortdb`, as on a checkout.
//! - ```` ```yaml ```` whose first line is `# PATH` — written to PATH in the scratch project;
//!   a file under `data/cohorts/` is a spec and is compiled (it must compile).
//! - Output is compared line by line, trailing spaces ignored. Normalised: the scratch folder's
//!   absolute path prints as `/home/me`. Wildcards in the expected output: `[..]` inside a line
//!   matches any text (timestamps, sizes that vary); a line `…` (or `...`) matches any number of
//!   lines (an elided part).
//! - `<!-- doctest: skip REASON -->` before a block leaves it out, with the reason (commands
//!   that install into your home or run this very test); `<!-- doctest: $ COMMAND -->` runs a
//!   setup command before the next block without showing it (it must exit 0).
//! - Any other block is an illustration and is not run; but a block with `$ ` lines must be
//!   ```` ```console ````, and a ```` ```yaml ```` block must name its path or be skipped, so a
//!   command cannot hide in an untested block.
//!
//! `COHORTDB_DOCS_BLESS=1 cargo test --test docs` rewrites each differing output in the
//! document with the one produced (a documented `[..]` line that still matches is kept; check
//! that nothing else varies between runs), for updating the docs after a deliberate change.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One fenced block of a document.
struct Block {
    /// The info string after the opening fence (`console`, `sh`, `yaml`, …).
    info: String,
    /// Index (0-based) in the document's lines of the first line inside the fence.
    first: usize,
    lines: Vec<String>,
    /// `<!-- doctest: skip … -->` before it.
    skip: Option<String>,
    /// `<!-- doctest: $ … -->` setup commands before it.
    setup: Vec<String>,
}

const DIRECTIVE: &str = "<!-- doctest:";

fn parse_blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut skip = None;
    let mut setup = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(rest) = line.trim().strip_prefix(DIRECTIVE) {
            let body = rest.trim_end().trim_end_matches("-->").trim();
            if let Some(reason) = body.strip_prefix("skip") {
                assert!(
                    !reason.trim().is_empty(),
                    "line {}: a skip needs its reason",
                    i + 1
                );
                skip = Some(reason.trim().to_string());
            } else if let Some(cmd) = body.strip_prefix("$ ") {
                setup.push(cmd.to_string());
            } else {
                panic!("line {}: unknown doctest directive {line:?}", i + 1);
            }
            i += 1;
            continue;
        }
        if let Some(info) = line.strip_prefix("```") {
            let first = i + 1;
            let mut end = first;
            while end < lines.len() && !lines[end].starts_with("```") {
                end += 1;
            }
            assert!(end < lines.len(), "line {}: unclosed fence", i + 1);
            blocks.push(Block {
                info: info.trim().to_string(),
                first,
                lines: lines[first..end].iter().map(|l| l.to_string()).collect(),
                skip: skip.take(),
                setup: std::mem::take(&mut setup),
            });
            i = end + 1;
            continue;
        }
        i += 1;
    }
    assert!(
        skip.is_none() && setup.is_empty(),
        "a doctest directive after the last block"
    );
    blocks
}

/// Whether a shell command needs the next line: an open quote or a trailing backslash.
fn needs_more(cmd: &str) -> bool {
    #[derive(PartialEq)]
    enum Q {
        None,
        Single,
        Double,
    }
    let mut q = Q::None;
    let mut chars = cmd.chars().peekable();
    let mut prev_space = true;
    while let Some(c) = chars.next() {
        match q {
            Q::None => match c {
                // A backslash escapes the next character (the guard consumes it); at the end
                // it continues the line.
                '\\' if chars.next().is_none() => return true,
                '\'' => q = Q::Single,
                '"' => q = Q::Double,
                '#' if prev_space => {
                    // A comment: to the end of the line.
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                _ => {}
            },
            Q::Single => {
                if c == '\'' {
                    q = Q::None;
                }
            }
            Q::Double => match c {
                '\\' => {
                    chars.next();
                }
                '"' => q = Q::None,
                _ => {}
            },
        }
        prev_space = c.is_whitespace();
    }
    q != Q::None
}

/// A command of a transcript and the lines (0-based document indexes `out_first..out_end`) of
/// its expected output.
struct Step {
    cmd: String,
    line: usize,
    out_first: usize,
    out_end: usize,
}

fn transcript(block: &Block) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < block.lines.len() {
        let line = &block.lines[i];
        if let Some(cmd) = line.strip_prefix("$ ") {
            let mut cmd = cmd.to_string();
            let line_no = block.first + i;
            i += 1;
            while needs_more(&cmd) && i < block.lines.len() {
                cmd.push('\n');
                cmd.push_str(&block.lines[i]);
                i += 1;
            }
            steps.push(Step {
                cmd,
                line: line_no,
                out_first: block.first + i,
                out_end: block.first + i,
            });
        } else {
            let step = steps.last_mut().unwrap_or_else(|| {
                panic!(
                    "line {}: a transcript starts with a `$ ` command",
                    block.first + i + 1
                )
            });
            step.out_end = block.first + i + 1;
            i += 1;
        }
    }
    steps
}

/// Logical commands of a ```sh block: blank and comment lines dropped, continuations joined.
fn sh_commands(block: &Block) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < block.lines.len() {
        let line = block.lines[i].trim();
        let no = block.first + i;
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cmd = line.to_string();
        while needs_more(&cmd) && i < block.lines.len() {
            cmd.push('\n');
            cmd.push_str(&block.lines[i]);
            i += 1;
        }
        out.push((no, cmd));
    }
    out
}

/// Whether `line` matches `pattern`, where `[..]` in the pattern matches any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("[..]").collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || line.len() < first.len() + last.len() || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

fn is_elision(line: &str) -> bool {
    matches!(line.trim(), "…" | "...")
}

/// Whether the output lines match the expected ones (`…` lines match any run of lines).
fn output_matches(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if is_elision(e) => {
            (0..=actual.len()).any(|skip| output_matches(rest, &actual[skip..]))
        }
        Some((e, rest)) => match actual.split_first() {
            Some((a, arest)) => line_matches(e, a) && output_matches(rest, arest),
            None => false,
        },
    }
}

/// The scratch project of one document and the binary under test.
struct Project {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// `$?` for the next command.
    last_status: i32,
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&repo().join("examples"), &dir.path().join("examples"));
        copy_tree(&repo().join("examples/data"), &dir.path().join("data"));
        Project {
            dir,
            bin: assert_cmd::cargo::cargo_bin("cohortdb"),
            last_status: 0,
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Runs one shell command as the docs show it; returns its status and its stdout and
    /// stderr together, normalised.
    fn run(&mut self, cmd: &str) -> (i32, String) {
        let bin_dir = self.bin.parent().unwrap();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let script = format!("exec 2>&1; (exit {}); {cmd}", self.last_status);
        let mut command = Command::new("bash");
        command
            .args(["-c", &script])
            .current_dir(self.root())
            .env("PATH", path)
            .env("HOME", self.root())
            .env("TZ", "UTC")
            .env("COHORTDB_EXAMPLE_BIN", &self.bin);
        for (key, _) in std::env::vars() {
            if key.starts_with("COHORTDB_") && !key.starts_with("COHORTDB_EXAMPLE_") {
                command.env_remove(key);
            }
        }
        let out = command.output().expect("bash runs");
        let status = out.status.code().unwrap_or(-1);
        self.last_status = status;
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        // The example script's binary prints as on a checkout.
        text = text.replace(&self.bin.display().to_string(), "target/release/cohortdb");
        for root in [
            self.root().to_path_buf(),
            self.root().canonicalize().unwrap(),
        ] {
            text = text.replace(&root.display().to_string(), "/home/me");
        }
        (status, text)
    }
}

/// The produced lines to write back in bless mode, keeping each documented `[..]` line that
/// still matches its produced line (in order), so a blessed output keeps its wildcards.
fn blessed(expected: &[&str], actual: &[&str]) -> Vec<String> {
    let mut next = 0;
    actual
        .iter()
        .map(|line| {
            let kept = (next..expected.len())
                .find(|&i| expected[i].contains("[..]") && line_matches(expected[i], line));
            match kept {
                Some(i) => {
                    next = i + 1;
                    expected[i].to_string()
                }
                None => line.to_string(),
            }
        })
        .collect()
}

/// A replacement of document lines `first..end` by `lines` (bless mode).
struct Bless {
    first: usize,
    end: usize,
    lines: Vec<String>,
}

/// Runs one document; returns the number of commands run.
fn run_doc(rel: &str) -> usize {
    let path = repo().join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let doc_lines: Vec<&str> = text.lines().collect();
    let mut project = Project::new();
    let mut failures = Vec::new();
    let mut blesses = Vec::new();
    let mut commands = 0;
    for block in parse_blocks(&text) {
        let at = block.first; // 1-based line of the fence = first (0-based) inside
        if let Some(_reason) = &block.skip {
            continue;
        }
        for cmd in &block.setup {
            let (status, out) = project.run(cmd);
            if status != 0 {
                failures.push(format!("{rel}:{at}: setup `{cmd}` exited {status}:\n{out}"));
            }
        }
        match block.info.as_str() {
            "console" => {
                let steps = transcript(&block);
                for (n, step) in steps.iter().enumerate() {
                    commands += 1;
                    let (status, out) = project.run(&step.cmd);
                    let expected: Vec<&str> = doc_lines[step.out_first..step.out_end]
                        .iter()
                        .map(|l| l.trim_end())
                        .collect();
                    let actual: Vec<&str> = out.lines().map(|l| l.trim_end()).collect();
                    let shown_status = steps
                        .get(n + 1)
                        .is_some_and(|next| next.cmd.trim() == "echo $?")
                        || expected.iter().any(|l| l.starts_with("error:"));
                    if status != 0 && !shown_status {
                        failures.push(format!(
                            "{rel}:{}: `{}` exited {status} (show it: an `error:` line or `echo $?` next):\n{out}",
                            step.line + 1,
                            step.cmd
                        ));
                    }
                    if !output_matches(&expected, &actual) {
                        failures.push(format!(
                            "{rel}:{}: `{}` printed other output\n--- documented\n{}\n--- produced\n{}",
                            step.line + 1,
                            step.cmd,
                            expected.join("\n"),
                            actual.join("\n")
                        ));
                        blesses.push(Bless {
                            first: step.out_first,
                            end: step.out_end,
                            lines: blessed(&expected, &actual),
                        });
                    }
                }
            }
            "sh" => {
                for (line, cmd) in sh_commands(&block) {
                    commands += 1;
                    let (status, out) = project.run(&cmd);
                    if status != 0 {
                        failures.push(format!(
                            "{rel}:{}: `{cmd}` exited {status}:\n{out}",
                            line + 1
                        ));
                    }
                }
            }
            "yaml" => {
                let target = block
                    .lines
                    .first()
                    .and_then(|l| l.strip_prefix("# "))
                    .map(str::trim)
                    .filter(|p| !p.contains(' ') && !p.contains(".."))
                    .unwrap_or_else(|| {
                        panic!("{rel}:{at}: a yaml block starts with `# PATH` (or is skipped)")
                    });
                let file = project.root().join(target);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(&file, block.lines.join("\n") + "\n").unwrap();
                if target.starts_with("data/cohorts/") {
                    commands += 1;
                    let (status, out) =
                        project.run(&format!("cohortdb compile {target} --limit 1"));
                    if status != 0 {
                        failures.push(format!(
                            "{rel}:{at}: the spec {target} does not compile:\n{out}"
                        ));
                    }
                }
            }
            _ => {
                if let Some(l) = block.lines.iter().position(|l| l.starts_with("$ ")) {
                    failures.push(format!(
                        "{rel}:{}: a transcript in a ```{} block: make it ```console (or skip it with a reason)",
                        block.first + l + 1,
                        block.info
                    ));
                }
            }
        }
    }
    if std::env::var_os("COHORTDB_DOCS_BLESS").is_some() && !blesses.is_empty() {
        let mut lines: Vec<String> = doc_lines.iter().map(|l| l.to_string()).collect();
        for b in blesses.iter().rev() {
            lines.splice(b.first..b.end, b.lines.iter().cloned());
        }
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
    assert!(
        failures.is_empty(),
        "{} example(s) of {rel} differ from what they document:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    commands
}

#[test]
fn readme_runs() {
    assert!(run_doc("README.md") >= 5);
}

#[test]
fn user_guide_runs() {
    assert!(run_doc("docs/user-guide.md") >= 10);
}

#[test]
fn cli_reference_runs() {
    assert!(run_doc("docs/cli.md") >= 20);
}

#[test]
fn wildcards_match_as_documented() {
    assert!(line_matches("built [..]Z", "built 2026-12-05T00:59:53Z"));
    assert!(!line_matches("built [..]Z", "built 2026"));
    assert!(line_matches("a [..] b [..] c", "a x b y c"));
    assert!(!line_matches("a [..] b", "a x c"));
    assert!(output_matches(&["a", "…", "d"], &["a", "b", "c", "d"]));
    assert!(output_matches(&["a", "...", "b"], &["a", "b"]));
    assert!(!output_matches(&["a", "…", "d"], &["a", "b"]));
    assert!(!output_matches(&["a"], &["a", "b"]));
}

#[test]
fn commands_continue_while_a_quote_is_open() {
    assert!(needs_more("cohortdb query \"select 1"));
    assert!(!needs_more("cohortdb query \"select 1\""));
    assert!(!needs_more("cohortdb x 'a'\\''b'"));
    assert!(needs_more("cohortdb x \\"));
    assert!(!needs_more("cohortdb status  # it's fine"));
}
