//! `cohortdb show COHORT_ID`: the record, the stored spec (`--spec`, `--spec-out DIR`) and the
//! balance table (members per level of each axis, per stage; unbalanced axes marked).

use super::ExitCode;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use crate::show::{self, ShowReport};
use clap::Args;

use super::Session;
use super::render::{FormatArgs, TextOut, colour_stdout, say};

/// Levels listed per axis in the text table (JSON lists all).
const LEVELS_SHOWN: usize = 8;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The cohort id.
    #[arg(value_name = "COHORT_ID")]
    cohort_id: String,
    /// Print the stored spec's config file (YAML, as it was built) instead of the report.
    #[arg(long, conflicts_with = "spec_out")]
    spec: bool,
    /// Write the stored spec bundle (config and includes) into DIR; never over an existing file.
    #[arg(long, value_name = "DIR")]
    spec_out: Option<PathBuf>,
    #[command(flatten)]
    format: FormatArgs,
}

fn print(out: &mut TextOut, r: &ShowReport, colour: bool) -> std::io::Result<()> {
    say!(out, "cohort        {}", r.cohort_id)?;
    say!(out, "content hash  {}:{}", r.hash_scheme, r.content_hash)?;
    say!(out, "spec hash     {}", r.spec_hash)?;
    say!(out, "import batch  {}", r.import_batch)?;
    say!(out, "seed          {}", r.seed.as_deref().unwrap_or("none"))?;
    say!(out, "built         {}", r.created_at)?;
    say!(
        out,
        "members       {} drafts, {} essays, {} evaluations",
        r.counts.draft,
        r.counts.essay,
        r.counts.evaluation
    )?;
    say!(out, "spec files    {}", r.spec_files.join(", "))?;
    say!(out)?;
    say!(
        out,
        "  {:<11} {:<13} {:>6} {:>8} {:>8} {:>6}  members per level",
        "stage",
        "axis",
        "levels",
        "min",
        "max",
        "ratio"
    )?;
    for stage in &r.balance {
        for axis in &stage.axes {
            let mut levels: Vec<String> = axis
                .levels
                .iter()
                .take(LEVELS_SHOWN)
                .map(|l| format!("{}={}", l.level, l.members))
                .collect();
            if axis.levels.len() > LEVELS_SHOWN {
                levels.push(format!("… +{} more", axis.levels.len() - LEVELS_SHOWN));
            }
            let line = format!(
                "{} {:<11} {:<13} {:>6} {:>8} {:>8} {:>6.2}  {}",
                if axis.balanced { ' ' } else { '!' },
                stage.stage,
                axis.axis,
                axis.levels.len(),
                axis.min,
                axis.max,
                axis.ratio,
                levels.join(" ")
            );
            if colour && !axis.balanced {
                out.raw("\x1b[33m")?;
                out.raw(&crate::textfmt::visible(&line))?;
                out.raw("\x1b[0m\n")?;
            } else {
                say!(out, "{line}")?;
            }
        }
    }
    if r.balance.iter().any(|s| s.axes.iter().any(|a| !a.balanced)) {
        say!(out)?;
        say!(
            out,
            "! unbalanced: the levels of this axis have different member counts"
        )?;
    }
    Ok(())
}

pub fn run(s: &Session, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let ws = s.workspace();
    if args.spec || args.spec_out.is_some() {
        let bundle = ws.spec_bundle(&args.cohort_id, s.ctx())?;
        if let Some(dir) = &args.spec_out {
            let mut out = TextOut::stdout();
            for path in show::write_spec_bundle(&bundle, dir)? {
                say!(out, "wrote {}", path.display())?;
            }
            out.flush()?;
        } else {
            let config = bundle.files.get(&bundle.config).ok_or_else(|| {
                crate::Error::internal(
                    "a stored bundle holds its config file",
                    format!(
                        "the stored bundle of {} lacks its config file {:?}",
                        args.cohort_id, bundle.config
                    ),
                )
            })?;
            // The config file as it was built, byte for byte (the user redirects it to a file);
            // on a terminal its text is escaped like every report.
            if std::io::stdout().is_terminal() {
                let mut out = TextOut::stdout();
                out.write_all(config)?;
                out.flush()?;
            } else {
                let mut out = super::out::stdout();
                out.write_all(config)?;
                out.flush()?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = ws.show(&args.cohort_id, s.ctx())?;
    args.format
        .emit(&report, |out, r| print(out, r, colour_stdout()))?;
    Ok(ExitCode::SUCCESS)
}
