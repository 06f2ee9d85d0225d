//! `cohortdb init`: create or migrate the store, print its path and schema version.

use std::io::Write;
use std::process::ExitCode;

use cohortdb::Store;

use super::Global;

pub fn run(global: &Global) -> anyhow::Result<ExitCode> {
    let store = Store::open(&global.db)?;
    let mut out = super::out::stdout();
    writeln!(out, "store: {}", store.path().display())?;
    writeln!(out, "schema version: {}", store.schema_version())?;
    Ok(ExitCode::SUCCESS)
}
