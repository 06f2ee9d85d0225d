//! `cohortdb cohorts`: the stored cohorts with their member counts, hash and build time.

use std::io::Write;
use std::process::ExitCode;

use cohortdb::Store;

use super::Global;

pub fn run(global: &Global) -> anyhow::Result<ExitCode> {
    let store = Store::open_read_only(&global.db)?;
    let cohorts = cohortdb::record::list(store.conn())?;
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
