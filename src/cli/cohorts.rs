//! `cohortdb cohorts`: the stored cohorts with their member counts, hash and build time.

use super::ExitCode;

use crate::app::CohortsReport;

use super::Session;
use super::render::{FormatArgs, TextOut, say};

fn print(out: &mut TextOut, report: &CohortsReport) -> std::io::Result<()> {
    let cohorts = &report.cohorts;
    if cohorts.is_empty() {
        return say!(out, "no cohorts stored yet (cohortdb build COHORT_ID)");
    }
    let width = cohorts
        .iter()
        .map(|c| c.cohort_id.len())
        .max()
        .unwrap_or(0)
        .max(9);
    say!(
        out,
        "{:<width$}  {:>8}  {:>8}  {:>11}  {:<16}  created",
        "cohort_id",
        "drafts",
        "essays",
        "evaluations",
        "content_hash"
    )?;
    for c in cohorts {
        say!(
            out,
            "{:<width$}  {:>8}  {:>8}  {:>11}  {:<16}  {}",
            c.cohort_id,
            c.counts.draft,
            c.counts.essay,
            c.counts.evaluation,
            c.content_hash.chars().take(16).collect::<String>(),
            c.created_at
        )?;
    }
    Ok(())
}

pub fn run(s: &Session, format: &FormatArgs) -> anyhow::Result<ExitCode> {
    let report = s.workspace().cohorts(s.ctx())?;
    format.emit(&report, print)?;
    Ok(ExitCode::SUCCESS)
}
