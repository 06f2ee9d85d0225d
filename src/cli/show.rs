//! `cohortdb show COHORT_ID`: the record, the stored spec (`--spec`, `--spec-out DIR`) and the
//! balance table (members per level of each axis, per stage; unbalanced axes marked).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use cohortdb::Store;
use cohortdb::ids::CohortId;
use cohortdb::show::{self, ShowReport};

use super::Global;
use super::render::{FormatArgs, colour_stdout};

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

fn print(out: &mut impl Write, r: &ShowReport, colour: bool) -> std::io::Result<()> {
    writeln!(out, "cohort        {}", r.cohort_id)?;
    writeln!(out, "content hash  {}:{}", r.hash_scheme, r.content_hash)?;
    writeln!(out, "spec hash     {}", r.spec_hash)?;
    writeln!(out, "import batch  {}", r.import_batch)?;
    writeln!(out, "seed          {}", r.seed.as_deref().unwrap_or("none"))?;
    writeln!(out, "built         {}", r.created_at)?;
    writeln!(
        out,
        "members       {} drafts, {} essays, {} evaluations",
        r.counts.draft, r.counts.essay, r.counts.evaluation
    )?;
    writeln!(out, "spec files    {}", r.spec_files.join(", "))?;
    writeln!(out)?;
    writeln!(
        out,
        "  {:<11} {:<13} {:>6} {:>8} {:>8} {:>6}  members per level",
        "stage", "axis", "levels", "min", "max", "ratio"
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
                writeln!(out, "\x1b[33m{line}\x1b[0m")?;
            } else {
                writeln!(out, "{line}")?;
            }
        }
    }
    if r.balance.iter().any(|s| s.axes.iter().any(|a| !a.balanced)) {
        writeln!(
            out,
            "\n! unbalanced: the levels of this axis have different member counts"
        )?;
    }
    Ok(())
}

pub fn run(global: &Global, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let id = CohortId::parse(&args.cohort_id)?;
    let store = Store::open_read_only(&global.db)?;
    if args.spec || args.spec_out.is_some() {
        let bundle = show::stored_bundle(store.conn(), &id)?;
        let mut out = super::out::stdout();
        if let Some(dir) = &args.spec_out {
            for path in show::write_spec_bundle(&bundle, dir)? {
                writeln!(out, "wrote {}", path.display())?;
            }
        } else {
            let config = bundle.files.get(&bundle.config).ok_or_else(|| {
                cohortdb::Error::internal(
                    "a stored bundle holds its config file",
                    format!(
                        "the stored bundle of {id} lacks its config file {:?}",
                        bundle.config
                    ),
                )
            })?;
            out.write_all(config)?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let report = show::show(store.conn(), &id)?;
    args.format
        .emit(&report, |out, r| print(out, r, colour_stdout()))?;
    Ok(ExitCode::SUCCESS)
}
