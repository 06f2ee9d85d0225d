//! `cohortdb init`: create or migrate the store, print its path and schema version.

use std::io::Write;
use std::process::ExitCode;

use super::Session;
use super::render::FormatArgs;

pub fn run(s: &Session, format: &FormatArgs) -> anyhow::Result<ExitCode> {
    let report = s.workspace().init(s.ctx())?;
    format.emit(&report, |out, r| {
        writeln!(out, "store: {}", r.store)?;
        writeln!(out, "schema version: {}", r.schema_version)
    })?;
    Ok(ExitCode::SUCCESS)
}
