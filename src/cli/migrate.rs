//! `cohortdb migrate membership|legacy COHORT_ID`: write a spec that reproduces a legacy cohort,
//! and with `--check` prove it by a scratch build (D17, docs/reference.md §5).

use super::ExitCode;
use std::io::Write;
use std::path::PathBuf;

use crate::app::{MigrateRequest, MigrateSource};
use crate::migrate::{self, Migration};
use anyhow::Context;
use clap::{Args, Subcommand};

use crate::textfmt::count;

use super::Session;
use super::render::TextOut;

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// From cohorts/<COHORT_ID>/membership.csv and the members' gens/*/metadata.json: one tuple
    /// over items/cohort_rows.csv, in membership order.
    Membership(CommonArgs),
    /// From legacy catalogs (active, for_generation, for_evaluation flags), replication_config.csv
    /// and 2_tasks/ curated lists: axes and tuples that express the same cohort.
    Legacy(LegacyArgs),
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// The cohort id.
    #[arg(value_name = "COHORT_ID")]
    cohort_id: String,
    /// The spec folder to write; default <data-root>/cohorts/<COHORT_ID>/spec.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Build the written spec in a scratch store (nothing stored) and compare its (stage,
    /// gen_id) members with the source; exit 1 if they differ.
    #[arg(long)]
    check: bool,
    /// Replace an existing spec folder.
    #[arg(long)]
    force: bool,
    /// Write the spec even though some members cannot keep their gen_id (legacy random ids);
    /// gen_id_map.csv in the spec folder maps old ids to new ones.
    #[arg(long)]
    allow_new_ids: bool,
}

#[derive(Debug, Args)]
pub struct LegacyArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// How many active concepts the legacy single combo took (ExperimentConfig.k_max).
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(i64).range(1..))]
    k_max: i64,
    /// The description level of the legacy single combo.
    #[arg(long, value_name = "LEVEL", default_value = "paragraph", value_parser = ["sentence", "paragraph", "article"])]
    description_level: String,
}

pub fn run(s: &Session, command: MigrateCommand) -> anyhow::Result<ExitCode> {
    let (common, kind, source) = match &command {
        MigrateCommand::Membership(common) => (common, "membership", MigrateSource::Membership),
        MigrateCommand::Legacy(args) => (
            &args.common,
            "legacy",
            MigrateSource::Legacy {
                k_max: args.k_max,
                description_level: args.description_level.clone(),
            },
        ),
    };
    let request = MigrateRequest {
        cohort_id: common.cohort_id.clone(),
        source,
        out: common.out.clone(),
        force: common.force,
        allow_new_ids: common.allow_new_ids,
    };
    let ws = s.workspace();
    let migration = ws.migrate(&request, s.ctx())?;
    let id = &common.cohort_id;
    let root = ws.data_root();
    let mut out = TextOut::stdout();
    print_migration(&mut out, id, kind, &migration)?;
    if !common.check {
        return Ok(ExitCode::SUCCESS);
    }
    out.flush()?;
    let report = ws.migrate_check(id, &migration).with_context(|| {
        format!(
            "--check: building {} with the catalogs of {}",
            migration.out.display(),
            root.display()
        )
    })?;
    writeln!(
        out,
        "check: the spec built in a scratch store from the catalogs of {} (nothing stored)",
        root.display()
    )?;
    writeln!(out, "  {:<10} {}", "built", stages(report.rebuilt))?;
    let total = migration.expected.len();
    if report.passed() {
        let order = match report.order_differs_at {
            None => "in the same order".to_string(),
            Some(i) => format!("but in another order from member {}", i + 1),
        };
        let renamed = if migration.renamed.is_empty() {
            String::new()
        } else {
            format!(
                " (with {})",
                count(migration.renamed.len() as u64, "new gen_id")
            )
        };
        writeln!(
            out,
            "  {:<10} the same {} as {}{renamed}, {order}",
            "ok",
            count(total as u64, "member"),
            migration.source
        )?;
        writeln!(out, "  result: ok")?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "  {:<10} {} only in {}, {} only in the build",
        "differs",
        count(report.missing.len() as u64, "member"),
        migration.source,
        report.extra.len()
    )?;
    const SHOWN: usize = 20;
    for (sign, list) in [("-", &report.missing), ("+", &report.extra)] {
        for (stage, gen_id) in list.iter().take(SHOWN) {
            writeln!(out, "    {sign} {:<10} {gen_id}", stage.as_str())?;
        }
        if list.len() > SHOWN {
            writeln!(out, "    {sign} … and {} more", list.len() - SHOWN)?;
        }
    }
    writeln!(out, "  result: differs")?;
    Ok(ExitCode::from(1))
}

/// `2 drafts, 1 essay, 8 evaluations`.
fn stages([d, e, v]: [u64; 3]) -> String {
    format!(
        "{}, {}, {}",
        count(d, "draft"),
        count(e, "essay"),
        count(v, "evaluation")
    )
}

fn print_migration(
    out: &mut impl Write,
    id: &str,
    kind: &str,
    migration: &Migration,
) -> std::io::Result<()> {
    writeln!(
        out,
        "cohort {id}: spec written to {} (migrate {kind})",
        migration.out.display()
    )?;
    for (path, what) in &migration.files {
        writeln!(out, "  {path:<24} {what}")?;
    }
    writeln!(
        out,
        "  {:<24} {} (from {})",
        "members",
        stages(migration.counts),
        migration.source
    )?;
    if !migration.renamed.is_empty() {
        writeln!(
            out,
            "  {:<24} {} with new gen_ids (--allow-new-ids); {} maps them",
            "new gen_ids",
            count(migration.renamed.len() as u64, "member"),
            migrate::GEN_ID_MAP_NAME
        )?;
    }
    if !migration.origins.is_empty() {
        let mut names: Vec<&str> = Vec::new();
        for name in migration
            .origins
            .iter()
            .filter_map(|o| o.origin_cohort_id.as_deref())
        {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let origins = match names.len() {
            0 => String::new(),
            1..=3 => format!(", origins {}", names.join(", ")),
            _ => format!(", origins {}, …", names[..3].join(", ")),
        };
        writeln!(
            out,
            "  {:<24} {} kept from legacy generations{origins}: recorded in the store, so \
             verify accepts them as they are ({})",
            "legacy metadata",
            count(migration.origins.len() as u64, "metadata file"),
            crate::textfmt::decision(24)
        )?;
    }
    for note in &migration.notes {
        writeln!(out, "  note: {note}")?;
    }
    Ok(())
}
