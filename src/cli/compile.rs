//! `cohortdb compile SPEC`: the design rows, byte-identical to the reference CLI's files
//! (`--out`), or LF CSV on stdout. Needs no store: the SQL runs in an in-memory SQLite.

use super::ExitCode;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::catalog::allowlist::Catalogs;
use crate::compile;
use crate::compile::output::{Format, RowWriter};
use crate::fsutil::{OutputTarget, open_stream_output, output_target};
use crate::seed::Seed;
use crate::{Error, UsageError};
use clap::Args;

use super::Session;

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The spec: a .yaml/.yml/.json file, or a folder holding config.yaml.
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    /// Write the rows to this file (.csv or .jsonl), byte-identical to the reference CLI; `-`
    /// writes the same bytes to stdout.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Output format; default from the --out suffix, else csv.
    #[arg(long, value_parser = ["csv", "jsonl"])]
    format: Option<String>,
    /// Shuffle the rows exactly as the reference does (Python's random.Random(seed).shuffle);
    /// any integer, of any size; default: the spec's output.seed.
    #[arg(long, allow_negative_numbers = true, value_name = "INTEGER")]
    seed: Option<Seed>,
    /// Print only the first N rows (stdout only).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
    /// A JSON catalog {axis: [values]}; every value of that axis must be in it (repeatable).
    #[arg(long, value_name = "FILE.json")]
    catalog: Vec<PathBuf>,
    /// A CSV catalog AXIS=PATH[:COLUMN] (column default `id`; PATH may be @llm_models_csv,
    /// @draft_templates_csv, … under --data-root) (repeatable).
    #[arg(long = "catalog-csv", value_name = "AXIS=PATH[:COLUMN]")]
    catalog_csv: Vec<String>,
    /// Refuse specs whose product has more rows than this (checked before any work).
    #[arg(long, value_name = "N", default_value_t = compile::DEFAULT_MAX_ROWS)]
    max_rows: u128,
}

/// The output format: `--format`, else the file suffix, else csv.
fn output_format(args: &CompileArgs) -> anyhow::Result<Format> {
    if let Some(name) = &args.format {
        return Ok(Format::parse(name).expect("clap restricts --format"));
    }
    let Some(out) = &args.out else {
        return Ok(Format::Csv);
    };
    match out.extension().and_then(|e| e.to_str()) {
        None => Ok(Format::Csv),
        Some(ext) => Format::parse(ext).ok_or_else(|| {
            Error::from(UsageError::UnknownOutputFormat {
                path: out.display().to_string(),
                ext: ext.to_string(),
            })
            .into()
        }),
    }
}

pub fn run(s: &Session, args: CompileArgs) -> anyhow::Result<ExitCode> {
    if args.out.is_some() && args.limit.is_some() {
        return Err(Error::from(UsageError::LimitWithOut).into());
    }
    let format = output_format(&args)?;
    let (spec, plan) = crate::app::load_plan(&args.spec, Some(args.max_rows))?;
    let seed = spec.effective_seed(args.seed.clone());
    let mut catalogs = Catalogs::default();
    for path in &args.catalog {
        catalogs.add_json_file(path)?;
    }
    for arg in &args.catalog_csv {
        catalogs.add_csv_arg(arg, &s.global.data_root)?;
    }
    catalogs.check(&plan)?;

    match &args.out {
        Some(out) => {
            let ctx = s.ctx();
            let task = format!(
                "compiling {} to {}",
                crate::textfmt::count(plan.row_count(), "row"),
                if crate::fsutil::is_stdio(out) {
                    "stdout".to_string()
                } else {
                    out.display().to_string()
                }
            );
            ctx.start(&task, None, crate::app::Unit::Steps);
            write_out(out, format, &plan, seed.as_ref())?;
            ctx.finish(&task);
        }
        None => {
            let stdout = std::io::stdout().lock();
            let mut writer = RowWriter::new(
                BufWriter::with_capacity(1 << 16, stdout),
                format,
                &plan,
                b"\n",
            );
            // The rows are compile's last work: when the reader of stdout goes away (`| head`),
            // nothing is left whose outcome could change the status, so compile stops and
            // exits 0 rather than computing rows nobody reads (docs/reliability.md, "Pipes,
            // special files and links").
            let written = match compile::write_design(
                &plan,
                seed.as_ref(),
                &mut writer,
                args.limit,
                "stdout",
            ) {
                Err(e) if e.is_broken_pipe() => return Ok(ExitCode::SUCCESS),
                other => other?,
            };
            match writer.finish() {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(ExitCode::SUCCESS);
                }
                other => other.map_err(|e| Error::io("stdout", e))?,
            };
            let total = plan.row_count();
            if (written as u128) < total {
                s.warn(&format!(
                    "showing {written} of {} (--limit)",
                    crate::textfmt::count(total, "row")
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the rows to `--out` according to what the path is now ([`OutputTarget`]): nothing
/// or a regular file is replaced whole (a new file renamed into place); a character device or
/// a FIFO (`/dev/null`, `/dev/stdout` on a pipe) is written into directly and never replaced;
/// a symlink to anything else, a directory, a socket or a block device is refused before any
/// work. See docs/reliability.md, "Pipes, special files and links".
fn write_out(
    out: &Path,
    format: Format,
    plan: &crate::spec::Plan,
    seed: Option<&Seed>,
) -> anyhow::Result<()> {
    if crate::fsutil::is_stdio(out) {
        // `--out -`: the file's bytes (CRLF CSV or JSONL) on stdout. A reader that goes away
        // ends the output, not the status (the rows are compile's last work).
        let mut writer = RowWriter::new(
            BufWriter::with_capacity(1 << 16, std::io::stdout().lock()),
            format,
            plan,
            b"\r\n",
        );
        match compile::write_design(plan, seed, &mut writer, None, "stdout") {
            Err(e) if e.is_broken_pipe() => return Ok(()),
            other => other?,
        };
        return match writer
            .finish()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
        {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map(drop).map_err(|e| Error::io("stdout", e).into()),
        };
    }
    match output_target(out).map_err(|e| Error::io(out, e))? {
        OutputTarget::Replace => write_file(out, format, plan, seed),
        OutputTarget::Stream => {
            let file = open_stream_output(out).map_err(|e| Error::io(out, e))?;
            let mut writer = RowWriter::new(
                BufWriter::with_capacity(1 << 16, file),
                format,
                plan,
                b"\r\n",
            );
            compile::write_design(plan, seed, &mut writer, None, &out.display().to_string())?;
            writer
                .finish()
                .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
                .map_err(|e| Error::io(out, e))?;
            Ok(())
        }
    }
}

/// Streams the rows through the atomic writer (`layout::write_with`): a temporary file beside
/// `out` renamed into place, so a failure never leaves a partial file.
fn write_file(
    out: &Path,
    format: Format,
    plan: &crate::spec::Plan,
    seed: Option<&Seed>,
) -> anyhow::Result<()> {
    crate::layout::write_with(out, |file, tmp| -> anyhow::Result<()> {
        let mut writer = RowWriter::new(
            BufWriter::with_capacity(1 << 20, file),
            format,
            plan,
            b"\r\n",
        );
        compile::write_design(plan, seed, &mut writer, None, &tmp.display().to_string())?;
        let buffered = writer.finish().map_err(|e| Error::io(tmp, e))?;
        buffered
            .into_inner()
            .map_err(|e| Error::io(tmp, e.into_error()))?;
        Ok(())
    })
}
