//! `cohortdb completions SHELL` and `cohortdb man`: shell completions and a man page, generated
//! from the clap definitions so they never drift from the real options.

use super::ExitCode;
use std::io::Write;

use clap::{Args, CommandFactory};

use super::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the completion script for a shell.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let mut out = super::out::stdout();
    clap_complete::generate(args.shell, &mut command, "cohortdb", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (`build`, `migrate legacy`); the main page without.
    #[arg(value_name = "COMMAND")]
    command: Vec<String>,
    /// Write every page (cohortdb.1 and one cohortdb-<command>.1 per command) into DIR
    /// instead, e.g. /usr/local/share/man/man1.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    out: Option<std::path::PathBuf>,
}

/// `man`: a page per command in roff, each with EXIT STATUS, ENVIRONMENT and FILES sections.
pub fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    if let Some(dir) = args.out {
        let mut out = super::render::TextOut::stdout();
        let mut pages = Vec::new();
        collect(&root, &mut pages);
        for cmd in pages {
            let man = clap_mangen::Man::new(cmd.clone());
            let path = dir.join(man.get_filename());
            crate::layout::write_atomic(&path, &page(&cmd)?)?;
            super::render::say!(out, "wrote {}", path.display())?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut cmd = &root;
    for name in &args.command {
        cmd = cmd.find_subcommand(name).ok_or_else(|| {
            anyhow::anyhow!(
                "man: no command {:?} (`cohortdb --help` lists them)",
                crate::textfmt::capped(name)
            )
        })?;
    }
    let mut out = super::out::stdout();
    out.write_all(&page(cmd)?)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `cmd` and every command below it, depth first.
fn collect(cmd: &clap::Command, pages: &mut Vec<clap::Command>) {
    pages.push(cmd.clone());
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, pages);
    }
}

/// One page: clap_mangen's sections, then what every command shares.
fn page(cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut page)?;
    }
    page.extend_from_slice(SHARED_SECTIONS.as_bytes());
    if cmd.get_version().is_some() {
        man.render_version_section(&mut page)?;
    }
    Ok(page)
}

/// The sections every page ends with (docs/cli.md: exit status, the project file).
const SHARED_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
A check ran and found a difference (verify, migrate \-\-check, status, diff, results verify).
.TP
\fB2\fR
Any error: bad input, bad usage, a refused write. Nothing was changed.
.TP
\fB130\fR
Interrupted (Ctrl\-C). Nothing was half\-written.
.SH ENVIRONMENT
.TP
\fBCOHORTDB_DB\fR
The store, as \-\-db: a file, or a postgres:// URL for a team store (a flag wins).
.TP
\fBCOHORTDB_DATA_ROOT\fR
The data root, as \-\-data\-root (a flag wins).
.TP
\fBPGPASSWORD\fR
The team store's password when its URL has none (else ~/.pgpass).
.TP
\fBCOHORTDB_PROGRESS_EVERY\fR
Seconds between progress lines when stderr is not a terminal, as \-\-progress\-every (default 5).
.TP
\fBNO_COLOR\fR
When set (non\-empty), no colour unless \-\-color always.
.TP
\fBCLICOLOR_FORCE\fR
When set (non\-empty, not 0), colour even off a terminal, unless \-\-color never or NO_COLOR.
.SH FILES
.TP
\fBcohortdb.yaml\fR
The project file, found in the current folder or above: the store (db) and data root
(data_root), relative to its folder. Written by cohortdb init.
.SH "SEE ALSO"
The command reference, docs/cli.md in the cohortdb repository.
"#;
