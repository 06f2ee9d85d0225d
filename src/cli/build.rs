//! `cohortdb build COHORT_ID`: compile, validate, derive the members with reference gen_ids,
//! and store the immutable record. Prints the counts and the content hash.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use cohortdb::cohort::{self, BuildStatus};
use cohortdb::ids::CohortId;
use cohortdb::seed::Seed;

use super::Global;
use super::render::{FormatArgs, Spinner, StageCountsJson, print_json};

/// `build --format json` (docs/schema/build.schema.json).
#[derive(serde::Serialize)]
struct BuildJson<'a> {
    cohort_id: &'a str,
    /// `created` or `unchanged`.
    status: &'static str,
    /// The spec files differ from the stored bundle only in formatting (unchanged builds).
    formatting_only: bool,
    counts: StageCountsJson,
    hash_scheme: &'static str,
    content_hash: &'a str,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The cohort id (1–128 letters, digits, '.', '_', '-'); it names cohorts/<id>/.
    #[arg(value_name = "COHORT_ID")]
    cohort_id: String,
    /// The spec (file or folder); default <data-root>/cohorts/<COHORT_ID>/spec/config.yaml.
    #[arg(long, value_name = "PATH")]
    spec: Option<PathBuf>,
    /// Shuffle the design rows as the reference does (any integer, of any size); default: the
    /// spec's output.seed.
    #[arg(long, allow_negative_numbers = true, value_name = "INTEGER")]
    seed: Option<Seed>,
    /// Refuse specs whose product has more rows than this (checked before any work).
    #[arg(long, value_name = "N", default_value_t = cohortdb::compile::DEFAULT_MAX_ROWS)]
    max_rows: u128,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(global: &Global, args: BuildArgs) -> anyhow::Result<ExitCode> {
    // D11: the id is checked before anything is read or written.
    let id = CohortId::parse(&args.cohort_id)?;
    let spec_path = args.spec.unwrap_or_else(|| {
        global
            .data_root
            .join("cohorts")
            .join(id.as_str())
            .join("spec")
            .join("config.yaml")
    });
    let (spec, plan) = super::load_plan(&spec_path)?;
    super::check_max_rows(&plan, args.max_rows)?;
    let seed = spec.effective_seed(args.seed);
    let spinner = Spinner::start(global, format!("building {id}"));
    let report = super::with_new_or_existing_store(global, |store| {
        Ok(cohort::build(store, &id, &spec, &plan, seed.as_ref())?)
    })?;
    drop(spinner);
    if args.format.is_json() {
        let (status, formatting_only) = match report.status {
            BuildStatus::Created => ("created", false),
            BuildStatus::Unchanged { formatting_only } => ("unchanged", formatting_only),
        };
        print_json(&BuildJson {
            cohort_id: &report.cohort_id,
            status,
            formatting_only,
            counts: report.counts.into(),
            hash_scheme: cohortdb::record::SCHEME,
            content_hash: &report.content_hash,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = super::out::stdout();
    match report.status {
        BuildStatus::Created => writeln!(out, "cohort {}: built", report.cohort_id)?,
        BuildStatus::Unchanged { formatting_only } => {
            writeln!(
                out,
                "cohort {}: unchanged (same content hash; nothing written)",
                report.cohort_id
            )?;
            if formatting_only {
                writeln!(
                    out,
                    "note: the spec files differ from the stored bundle only in formatting; the stored bundle is kept"
                )?;
            }
        }
    }
    let [d, e, v] = report.counts;
    writeln!(out, "  drafts        {d}")?;
    writeln!(out, "  essays        {e}")?;
    writeln!(out, "  evaluations   {v}")?;
    writeln!(
        out,
        "  content hash  {}:{}",
        cohortdb::record::SCHEME,
        report.content_hash
    )?;
    Ok(ExitCode::SUCCESS)
}
