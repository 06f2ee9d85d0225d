//! `cohortdb diff A B`: members added and removed per stage (with the values that explain
//! them), spec differences, and whether the referenced catalog rows differ. A and B are stored
//! cohort ids or spec folders (built in a scratch in-memory store). Exit 0 when identical,
//! 1 when they differ, 2 on error.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use cohortdb::Store;
use cohortdb::diff::{self, DiffMember, DiffReport, Side};

use super::Global;
use super::render::{FormatArgs, print_json};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// A: a stored cohort id, or a spec (a file, or a folder holding config.yaml).
    #[arg(value_name = "A")]
    a: String,
    /// B: a stored cohort id, or a spec.
    #[arg(value_name = "B")]
    b: String,
    /// Counts only: no member lists.
    #[arg(long)]
    stat: bool,
    #[command(flatten)]
    format: FormatArgs,
}

fn member_line(sign: char, m: &DiffMember) -> String {
    let mut line = format!(
        "{sign} {:<10} {}  combo_id={} template_id={} llm_model_id={} replicate={}",
        m.stage, m.gen_id, m.combo_id, m.template_id, m.llm_model_id, m.replicate
    );
    if let Some(parent) = &m.parent_gen_id {
        line.push_str(&format!(" parent_gen_id={parent}"));
    }
    line
}

fn print(out: &mut impl Write, r: &DiffReport) -> std::io::Result<()> {
    writeln!(out, "--- {}", r.a)?;
    writeln!(out, "+++ {}", r.b)?;
    if r.identical {
        return writeln!(out, "identical");
    }
    if !r.spec_changes.is_empty() {
        writeln!(out, "spec:")?;
        for change in &r.spec_changes {
            writeln!(out, "  {change}")?;
        }
    }
    writeln!(out, "members:")?;
    for s in &r.stages {
        writeln!(
            out,
            "  {:<10} {:>9} -> {:<9}  +{} -{}",
            s.stage, s.a, s.b, s.added, s.removed
        )?;
    }
    if r.catalog_digest_differs {
        writeln!(out, "catalog rows referenced: differ")?;
    }
    for m in &r.removed {
        writeln!(out, "{}", member_line('-', m))?;
    }
    for m in &r.added {
        writeln!(out, "{}", member_line('+', m))?;
    }
    Ok(())
}

pub fn run(global: &Global, args: DiffArgs) -> anyhow::Result<ExitCode> {
    let a = Side::parse(&args.a)?;
    let b = Side::parse(&args.b)?;
    let store = Store::open_read_only(&global.db)?;
    let report = diff::diff(store.conn(), &global.db, &a, &b, args.stat)?;
    if args.format.is_json() {
        print_json(&report)?;
    } else {
        let mut out = super::out::stdout();
        print(&mut out, &report)?;
        out.flush()?;
    }
    Ok(if report.identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
