//! `cohortdb verify COHORT_ID | --all`: recompute from the stored spec and catalogs, check the
//! export folder; exit 1 when anything differs.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;
use cohortdb::Store;
use cohortdb::error::UsageError;
use cohortdb::ids::CohortId;
use cohortdb::verify::{self, Severity, VerifyOptions, VerifyReport};

use super::Global;
use super::render::{FormatArgs, Spinner, print_json};

/// A finding in `verify --format json`: its severity and text beside its typed fields.
#[derive(serde::Serialize)]
struct FindingJson<'a> {
    severity: Severity,
    text: String,
    #[serde(flatten)]
    finding: &'a cohortdb::verify::Finding,
}

/// One cohort in `verify --format json` (docs/schema/verify.schema.json).
#[derive(serde::Serialize)]
struct ReportJson<'a> {
    cohort_id: &'a str,
    matches: bool,
    findings: Vec<FindingJson<'a>>,
}

#[derive(serde::Serialize)]
struct ErrorJson {
    cohort_id: String,
    error: String,
}

#[derive(serde::Serialize)]
struct VerifyJson<'a> {
    matches: bool,
    cohorts: Vec<ReportJson<'a>>,
    errors: Vec<ErrorJson>,
}

fn report_json(report: &VerifyReport) -> ReportJson<'_> {
    ReportJson {
        cohort_id: &report.cohort_id,
        matches: report.matches(),
        findings: report
            .findings
            .iter()
            .map(|finding| FindingJson {
                severity: finding.severity(),
                text: finding.to_string(),
                finding,
            })
            .collect(),
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The cohort id (or --all).
    #[arg(
        value_name = "COHORT_ID",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    cohort_id: Option<String>,
    /// Verify every stored cohort, going on past failures.
    #[arg(long)]
    all: bool,
    /// The export folder to check; default <data-root>/cohorts/<COHORT_ID>.
    #[arg(long, value_name = "DIR", conflicts_with = "all")]
    dir: Option<PathBuf>,
    /// Where metadata.json files are; default <data-root>/gens.
    #[arg(long, value_name = "DIR")]
    gens_root: Option<PathBuf>,
    /// Check only the store (recompute the content hash), not the export folder.
    #[arg(long)]
    store_only: bool,
    #[command(flatten)]
    format: FormatArgs,
}

fn print(out: &mut impl Write, report: &VerifyReport) -> std::io::Result<()> {
    writeln!(out, "cohort {}", report.cohort_id)?;
    for finding in &report.findings {
        let label = match finding.severity() {
            Severity::Ok => "ok",
            Severity::Note => "note",
            Severity::Difference => "DIFFERS",
        };
        writeln!(out, "  {label:<9} {finding}")?;
        for line in finding.detail() {
            writeln!(out, "  {label:<9}   {line}")?;
        }
    }
    writeln!(
        out,
        "  result: {}",
        if report.matches() { "ok" } else { "DIFFERS" }
    )
}

pub fn run(global: &Global, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let gens_root = args
        .gens_root
        .clone()
        .unwrap_or_else(|| global.data_root.join("gens"));
    let ids: Vec<CohortId> = if args.all {
        let store = Store::open_read_only(&global.db)?;
        cohortdb::record::list(store.conn())?
            .into_iter()
            .map(|s| CohortId::parse(&s.cohort_id))
            .collect::<Result<_, _>>()?
    } else {
        vec![CohortId::parse(
            args.cohort_id.as_deref().unwrap_or_default(),
        )?]
    };
    // A mistyped --data-root must not read as "not exported" (docs/cli.md `verify`).
    let defaults_used = args.dir.is_none() || args.gens_root.is_none();
    if !args.store_only && defaults_used && !global.data_root.is_dir() {
        bail!(cohortdb::Error::from(UsageError::NoDataRoot {
            path: global.data_root.display().to_string(),
        }));
    }
    // Recomputing needs scratch tables, so the store opens read-write; nothing is committed.
    let store = Store::open_existing(&global.db)?;
    let json = args.format.is_json();
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    let mut out = super::out::stdout();
    let (mut differs, mut errors) = (0, 0);
    for id in &ids {
        let options = VerifyOptions {
            dir: args
                .dir
                .clone()
                .unwrap_or_else(|| global.data_root.join("cohorts").join(id.as_str())),
            gens_root: gens_root.clone(),
            store_only: args.store_only,
            dir_named: args.dir.is_some(),
            gens_root_named: args.gens_root.is_some(),
        };
        let spinner = Spinner::start(global, format!("verifying {id}"));
        let result = verify::verify(store.conn(), id, &options);
        drop(spinner);
        match result {
            Ok(report) => {
                if !report.matches() {
                    differs += 1;
                }
                if json {
                    reports.push(report);
                } else {
                    print(&mut out, &report)?;
                }
            }
            Err(e) if args.all => {
                errors += 1;
                if json {
                    failures.push(ErrorJson {
                        cohort_id: id.to_string(),
                        error: e.to_string(),
                    });
                } else {
                    writeln!(out, "cohort {id}\n  ERROR     {e}")?;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    if json {
        drop(out);
        print_json(&VerifyJson {
            matches: differs == 0 && errors == 0,
            cohorts: reports.iter().map(report_json).collect(),
            errors: failures,
        })?;
    } else if args.all {
        writeln!(
            out,
            "{} cohorts: {} ok, {differs} differ, {errors} failed",
            ids.len(),
            ids.len() - differs - errors
        )?;
        out.flush()?;
    }
    if errors > 0 {
        bail!(cohortdb::Error::from(
            cohortdb::UsageError::VerifyAllFailed { count: errors }
        ));
    }
    Ok(if differs > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
