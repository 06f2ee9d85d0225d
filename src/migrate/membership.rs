//! `migrate membership` (docs/reference.md §5.2, D17 a): a cohort that exists as
//! `cohorts/<id>/membership.csv` and its members' `metadata.json` becomes one tuple over
//! `items/cohort_rows.csv` — each row an evaluation with its essay and draft — in membership
//! order, so the rebuilt membership.csv is the same line for line.
//!
//! Differences from the reference tool, each for a reason: rows keep membership order (the tool
//! sorted their string forms, so the rebuilt order differed); no explicit axes (the current
//! loader refuses the tool's output); a missing metadata field is an error naming the file (the
//! tool wrote the string `None`), except the essay LLM, where `None` is the reference's own
//! whitelisted value for essays without one (docs/reference.md §8 Q-NONE).

use crate::layout::DataLayout;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{
    AXIS_ORDER, Chains, Draft, Essay, Evaluation, GEN_ID_MAP_NAME, Migration, Options,
    RecordOrigins, draft_id, ensure_writable, essay_id, evaluation_id, gen_id_map, items_csv,
    legacy_origins, read_table, refuse_renames, shown, write_spec_dir, yaml_comment, yaml_flow,
};
use crate::cohort::roles::NONE_ESSAY_LLM;
use crate::error::{DataErrorKind, Error, Location, MigrateError, Result, UsageError};
use crate::ids::CohortId;
use crate::ids::{self, Stage};
use crate::layout::{Access, GenMeta, Root, metadata_path, metadata_rel};
use crate::textfmt::count;

/// The items file the migrated spec's tuple reads.
pub const ITEMS_PATH: &str = "items/cohort_rows.csv";

/// One line of membership.csv.
struct Line {
    stage: Stage,
    gen_id: String,
    line: u64,
}

/// A member's metadata, read.
struct Read {
    meta: GenMeta,
    path: PathBuf,
    line: u64,
}

/// Reads `stage,gen_id` lines (other columns, as in the wide table of docs/reference.md §5.5, are
/// ignored). Repeated lines are dropped; returns how many.
fn read_membership(path: &Path) -> Result<(Vec<Line>, usize)> {
    let table = read_table(path, || {
        UsageError::NoMembershipFile {
            path: path.display().to_string(),
        }
        .into()
    })?;
    let (Some(stage_col), Some(id_col)) = (table.column("stage"), table.column("gen_id")) else {
        let columns: Vec<&'static str> = ["gen_id", "stage"]
            .into_iter()
            .filter(|c| table.column(c).is_none())
            .collect();
        return Err(Error::data(
            Location::line(path, 1),
            DataErrorKind::MissingColumns { columns },
        ));
    };
    let mut lines = Vec::with_capacity(table.rows.len());
    let mut seen: HashSet<(Stage, String)> = HashSet::new();
    let mut repeated = 0;
    for (line, row) in table.rows {
        let loc = |col: usize| Location::line_col(path, line, col as u64 + 1);
        let stage_text = &row[stage_col];
        let stage = Stage::parse(ids::py_strip(stage_text)).ok_or_else(|| {
            Error::data(
                loc(stage_col),
                DataErrorKind::UnknownStage {
                    value: stage_text.to_string(),
                },
            )
        })?;
        let gen_id = ids::py_strip(&row[id_col]).to_string();
        if gen_id.is_empty() {
            return Err(Error::data(
                loc(id_col),
                DataErrorKind::EmptyGenId { stage },
            ));
        }
        if gen_id.contains(['/', '\\']) || gen_id == "." || gen_id == ".." {
            return Err(Error::data(
                loc(id_col),
                DataErrorKind::NotAFolderName { value: gen_id },
            ));
        }
        if !seen.insert((stage, gen_id.clone())) {
            repeated += 1;
            continue;
        }
        lines.push(Line {
            stage,
            gen_id,
            line,
        });
    }
    Ok((lines, repeated))
}

/// A member's metadata, read through the path policy (`root` is the gens root; no link below it
/// is followed).
fn read_meta(root: Option<&Root>, gens_root: &Path, line: &Line) -> Result<Read> {
    let path = metadata_path(gens_root, line.stage, &line.gen_id);
    let found = match root {
        Some(root) => root.read(&metadata_rel(line.stage, &line.gen_id))?,
        None => None,
    };
    let bytes = found.ok_or_else(|| {
        Error::data(
            Location::file(&path),
            DataErrorKind::MetadataMissing {
                stage: line.stage,
                gen_id: line.gen_id.clone(),
                line: line.line,
            },
        )
    })?;
    let meta = GenMeta::parse(line.stage, &bytes)
        .map_err(|source| Error::data(Location::file(&path), DataErrorKind::Metadata { source }))?;
    Ok(Read {
        meta,
        path,
        line: line.line,
    })
}

/// A required metadata field.
fn required(read: &Read, value: &Option<String>, key: &'static str) -> Result<String> {
    value.clone().ok_or_else(|| {
        Error::data(
            Location::file(&read.path),
            DataErrorKind::NoValue {
                key,
                line: read.line,
            },
        )
    })
}

/// The parent of a member, which must be in the membership.
fn parent<'a>(
    read: &Read,
    stage: Stage,
    gen_id: &str,
    parents: &'a HashMap<String, usize>,
    parent_stage: Stage,
) -> Result<(&'a usize, String)> {
    let parent_id = required(read, &read.meta.parent_gen_id, "parent_gen_id")?;
    let index = parents.get(&parent_id).ok_or_else(|| {
        Error::data(
            Location::file(&read.path),
            DataErrorKind::ParentNotListed {
                stage,
                gen_id: gen_id.to_string(),
                line: read.line,
                parent_stage,
                parent: parent_id.clone(),
            },
        )
    })?;
    Ok((index, parent_id))
}

/// Reads the cohort as chains: every evaluation with its essay and draft.
fn chains(data_root: &Path, membership: &Path, notes: &mut Vec<String>) -> Result<Chains> {
    let (lines, repeated) = read_membership(membership)?;
    if repeated > 0 {
        notes.push(format!(
            "{} of membership.csv dropped (a cohort lists each generation once)",
            count(repeated as u64, "repeated line")
        ));
    }
    let gens_root = DataLayout::new(data_root).gens();
    let mut chains = Chains::default();
    let mut draft_index: HashMap<String, usize> = HashMap::new();
    let mut essay_index: HashMap<String, usize> = HashMap::new();
    let mut evaluations: Vec<(&Line, Read)> = Vec::new();
    let mut essay_reads: Vec<(&Line, Read)> = Vec::new();
    let mut none_llm = 0usize;
    let root = Root::open(&gens_root, Access::Read)?;
    for line in &lines {
        let read = read_meta(root.as_ref(), &gens_root, line)?;
        match line.stage {
            Stage::Draft => {
                let combo = required(&read, &read.meta.combo_id, "combo_id")?;
                let template = required(&read, &read.meta.template_id, "template_id")?;
                let llm = required(&read, &read.meta.llm_model_id, "llm_model_id")?;
                let rep = read.meta.replicate;
                let rebuilt = draft_id(&combo, &template, &llm, &rep)?;
                draft_index.insert(line.gen_id.clone(), chains.drafts.len());
                chains.drafts.push(Draft {
                    combo,
                    template,
                    llm,
                    rep,
                    gen_id: line.gen_id.clone(),
                    rebuilt,
                });
            }
            Stage::Essay => essay_reads.push((line, read)),
            Stage::Evaluation => evaluations.push((line, read)),
        }
    }
    for (line, read) in essay_reads {
        let (&draft, _) = parent(
            &read,
            Stage::Essay,
            &line.gen_id,
            &draft_index,
            Stage::Draft,
        )?;
        let template = required(&read, &read.meta.template_id, "template_id")?;
        let llm = read.meta.llm_model_id.clone().unwrap_or_else(|| {
            none_llm += 1;
            NONE_ESSAY_LLM.to_string()
        });
        let rep = read.meta.replicate;
        let rebuilt = essay_id(&chains.drafts[draft].rebuilt, &template, &rep)?;
        essay_index.insert(line.gen_id.clone(), chains.essays.len());
        chains.essays.push(Essay {
            draft,
            template,
            llm,
            rep,
            gen_id: line.gen_id.clone(),
            rebuilt,
        });
    }
    if none_llm > 0 {
        notes.push(format!(
            "{} without an llm_model_id: essay_llm is the literal \"None\" the reference accepts for them",
            count(none_llm as u64, "essay")
        ));
    }
    if evaluations.is_empty() {
        return Err(Error::data(
            Location::file(membership),
            DataErrorKind::NoEvaluations,
        ));
    }
    for (line, read) in evaluations {
        let (&essay, _) = parent(
            &read,
            Stage::Evaluation,
            &line.gen_id,
            &essay_index,
            Stage::Essay,
        )?;
        let template = required(&read, &read.meta.template_id, "template_id")?;
        let llm = required(&read, &read.meta.llm_model_id, "llm_model_id")?;
        let rep = read.meta.replicate;
        let rebuilt = evaluation_id(&chains.essays[essay].rebuilt, &template, &llm, &rep)?;
        chains.evaluations.push(Evaluation {
            essay,
            template,
            llm,
            rep,
            gen_id: line.gen_id.clone(),
            rebuilt,
        });
    }
    refuse_orphans(&chains)?;
    Ok(chains)
}

/// Drafts and essays that no evaluation reaches cannot be rows of the tuple; refused rather
/// than dropped.
fn refuse_orphans(chains: &Chains) -> Result<()> {
    let mut essay_used = vec![false; chains.essays.len()];
    for v in &chains.evaluations {
        essay_used[v.essay] = true;
    }
    let mut draft_used = vec![false; chains.drafts.len()];
    for (e, used) in chains.essays.iter().zip(&essay_used) {
        if *used {
            draft_used[e.draft] = true;
        }
    }
    let orphans: Vec<String> = chains
        .drafts
        .iter()
        .zip(&draft_used)
        .filter(|(_, used)| !**used)
        .map(|(d, _)| format!("draft {}", d.gen_id))
        .chain(
            chains
                .essays
                .iter()
                .zip(&essay_used)
                .filter(|(_, used)| !**used)
                .map(|(e, _)| format!("essay {}", e.gen_id)),
        )
        .collect();
    if orphans.is_empty() {
        return Ok(());
    }
    Err(MigrateError::Orphans { members: orphans }.into())
}

/// `config.yaml` of a migrated membership.
fn config(id: &CohortId, membership: &str, rows: usize, renamed: usize) -> String {
    let axes = yaml_flow(AXIS_ORDER.map(str::to_string));
    let mut out = String::new();
    yaml_comment(
        &mut out,
        &format!("Written by `cohortdb migrate membership {id}` from {membership}."),
    );
    yaml_comment(
        &mut out,
        &format!(
            "Each of the {rows} rows of {ITEMS_PATH} is one evaluation with its essay and draft,"
        ),
    );
    yaml_comment(
        &mut out,
        "in membership order: a build reproduces membership.csv line for line.",
    );
    if renamed > 0 {
        yaml_comment(
            &mut out,
            &format!(
                "{renamed} members get new gen_ids (legacy or unreproducible ids): see {GEN_ID_MAP_NAME}."
            ),
        );
    }
    out.push_str("rules:\n  tuples:\n    cohort_rows:\n");
    out.push_str(&format!("      axes: {axes}\n"));
    out.push_str(&format!("      items: \"@file:{ITEMS_PATH}\"\n"));
    out.push_str(&format!("output:\n  field_order: {axes}\n"));
    out
}

/// Writes the spec of cohort `id`'s membership into `options.out`.
/// `record` gets the legacy metadata.json files the members keep, before anything is written
/// (D24).
pub fn migrate(
    data_root: &Path,
    id: &CohortId,
    options: &Options,
    record: RecordOrigins<'_>,
) -> Result<Migration> {
    let membership = DataLayout::new(data_root).membership_csv(id.as_str());
    let mut notes = Vec::new();
    let chains = chains(data_root, &membership, &mut notes)?;
    let shown_membership = shown(data_root, &membership);
    let mut migration = Migration::new(&options.out, &chains, "membership.csv".to_string());
    migration.notes = notes;
    if !migration.renamed.is_empty() && !options.allow_new_ids {
        return Err(refuse_renames(&migration.renamed));
    }
    let rows: Vec<Vec<String>> = chains
        .evaluations
        .iter()
        .map(|v| chains.evaluation_row(v))
        .collect();
    let mut files = vec![
        (
            "config.yaml".to_string(),
            config(id, &shown_membership, rows.len(), migration.renamed.len()).into_bytes(),
        ),
        (ITEMS_PATH.to_string(), items_csv(&AXIS_ORDER, &rows)),
    ];
    migration.files = vec![
        (
            "config.yaml".to_string(),
            "one tuple, no explicit axes".to_string(),
        ),
        (
            ITEMS_PATH.to_string(),
            format!("{}, one per evaluation", count(rows.len() as u64, "row")),
        ),
    ];
    if !migration.renamed.is_empty() {
        files.push((GEN_ID_MAP_NAME.to_string(), gen_id_map(&migration.renamed)));
        migration.files.push((
            GEN_ID_MAP_NAME.to_string(),
            format!(
                "{} old → new",
                count(migration.renamed.len() as u64, "gen_id")
            ),
        ));
    }
    ensure_writable(&options.out, options.force)?;
    migration.origins =
        legacy_origins(&DataLayout::new(data_root).gens(), id, &migration.expected)?;
    record(&migration.origins)?;
    write_spec_dir(&options.out, &files, options.force)?;
    Ok(migration)
}
