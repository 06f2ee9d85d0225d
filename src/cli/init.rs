//! `cohortdb init`: create or migrate the store, the data layout's folders and, outside a
//! project, the project file (docs/cli.md, "The project file").

use super::ExitCode;

use clap::Args;

use crate::app::InitRequest;
use crate::app::project::PROJECT_FILE;

use super::Session;
use super::render::{FormatArgs, say};

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Do not write the starter catalogs into a new project (by default, when `init` creates
    /// the store and the data root holds no catalog file, it writes the bundled example's
    /// catalogs there and imports them, so `new` and `build` work at once).
    #[arg(long)]
    bare: bool,
    #[command(flatten)]
    format: FormatArgs,
}

pub fn run(s: &Session, args: &InitArgs) -> anyhow::Result<ExitCode> {
    let format = &args.format;
    let request = InitRequest {
        starter: !args.bare,
        // The project file in use, or (outside a project) this folder's new one.
        project_file: Some(
            s.global
                .project
                .clone()
                .unwrap_or_else(|| PROJECT_FILE.into()),
        ),
    };
    let report = s.workspace().init(&request, s.ctx())?;
    if !format.is_json() {
        // As `import` prints them; in JSON they are part of the document.
        let warnings = report.imported.iter().flat_map(|r| &r.files);
        for warning in warnings.flat_map(|f| &f.warnings) {
            s.warn(warning);
        }
    }
    format.emit(&report, |out, r| {
        for path in &r.created {
            say!(out, "created {path}")?;
        }
        say!(out, "store: {}", r.store)?;
        say!(out, "schema version: {}", r.schema_version)?;
        if let Some(project) = &r.project {
            say!(out, "project: {project}")?;
        }
        if let Some(imported) = &r.imported {
            say!(
                out,
                "starter catalogs: {} under {} (the bundled example; `init --bare` leaves them out)",
                crate::textfmt::count(r.starter_files.len() as u64, "file"),
                s.workspace().data_root().display()
            )?;
            super::import::print(out, imported)?;
            say!(out, "next: `cohortdb new COHORT_ID`, then `cohortdb build COHORT_ID`")?;
        }
        Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
