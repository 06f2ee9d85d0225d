//! `cohortdb init`: create or migrate the store, the data layout's folders and, outside a
//! project, the project file (docs/cli.md, "The project file").

use super::ExitCode;

use crate::app::InitRequest;
use crate::app::project::PROJECT_FILE;

use super::Session;
use super::render::{FormatArgs, say};

pub fn run(s: &Session, format: &FormatArgs) -> anyhow::Result<ExitCode> {
    let request = InitRequest {
        // The project file in use, or (outside a project) this folder's new one.
        project_file: Some(
            s.global
                .project
                .clone()
                .unwrap_or_else(|| PROJECT_FILE.into()),
        ),
    };
    let report = s.workspace().init(&request, s.ctx())?;
    format.emit(&report, |out, r| {
        for path in &r.created {
            say!(out, "created {path}")?;
        }
        say!(out, "store: {}", r.store)?;
        say!(out, "schema version: {}", r.schema_version)?;
        if let Some(project) = &r.project {
            say!(out, "project: {project}")?;
        }
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
