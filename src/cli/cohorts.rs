//! `cohortdb cohorts`: the stored cohorts with their member counts, hash and build time.

use std::io::Write;
use std::process::ExitCode;

use cohortdb::Store;

use super::Global;
use super::render::{FormatArgs, StageCountsJson, print_json};

/// One cohort in `cohorts --format json` (docs/schema/cohorts.schema.json).
#[derive(serde::Serialize)]
struct CohortJson<'a> {
    cohort_id: &'a str,
    content_hash: &'a str,
    counts: StageCountsJson,
    created_at: &'a str,
}

#[derive(serde::Serialize)]
struct CohortsJson<'a> {
    cohorts: Vec<CohortJson<'a>>,
}

pub fn run(global: &Global, format: &FormatArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open_read_only(&global.db)?;
    let cohorts = cohortdb::record::list(store.conn())?;
    if format.is_json() {
        print_json(&CohortsJson {
            cohorts: cohorts
                .iter()
                .map(|c| CohortJson {
                    cohort_id: &c.cohort_id,
                    content_hash: &c.content_hash,
                    counts: c.counts.into(),
                    created_at: &c.created_at,
                })
                .collect(),
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = super::out::stdout();
    if cohorts.is_empty() {
        writeln!(out, "no cohorts stored yet (cohortdb build COHORT_ID)")?;
        return Ok(ExitCode::SUCCESS);
    }
    let width = cohorts
        .iter()
        .map(|c| c.cohort_id.len())
        .max()
        .unwrap_or(0)
        .max(9);
    writeln!(
        out,
        "{:<width$}  {:>8}  {:>8}  {:>11}  {:<16}  created",
        "cohort_id", "drafts", "essays", "evaluations", "content_hash"
    )?;
    for c in &cohorts {
        writeln!(
            out,
            "{:<width$}  {:>8}  {:>8}  {:>11}  {:<16}  {}",
            c.cohort_id,
            c.counts[0],
            c.counts[1],
            c.counts[2],
            &c.content_hash[..16.min(c.content_hash.len())],
            c.created_at
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
