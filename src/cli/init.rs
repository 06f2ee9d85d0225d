//! `cohortdb init`: create or migrate the store, print its path and schema version.

use std::process::ExitCode;

use super::Session;
use super::render::{FormatArgs, say};

pub fn run(s: &Session, format: &FormatArgs) -> anyhow::Result<ExitCode> {
    let report = s.workspace().init(s.ctx())?;
    format.emit(&report, |out, r| {
        say!(out, "store: {}", r.store)?;
        say!(out, "schema version: {}", r.schema_version)
    })?;
    Ok(ExitCode::SUCCESS)
}
