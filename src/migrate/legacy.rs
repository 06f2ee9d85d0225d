//! `migrate legacy` (semantics §5.1, D17 b): the cohort the legacy `cohort_membership` built
//! from selection flags and curated lists becomes a spec.
//!
//! The legacy flow is simulated on the data root as it is — active templates, flag-selected
//! LLMs, replicate counts, the curated list of its mode, existing evaluations it would reuse,
//! and its replicate allocator probing `gens/` — giving the members `--check` compares with. The
//! spec expresses the flow's intent:
//!
//! * **Cartesian** (no curated list): explicit axes from the active lists, replicate axes
//!   `1..N` from `replication_config.csv`, `essay_llm` tied to `draft_llm`;
//! * **curated drafts** (`2_tasks/selected_drafts.txt`): a tuple over the drafts' metadata, then
//!   tuples for the essay and evaluation plans, so the product runs in the legacy order;
//! * **curated essays** (`2_tasks/selected_essays.txt`): a tuple over the essays' and their
//!   drafts' metadata, then the evaluation plan.
//!
//! What a spec cannot express — the allocator starting above replicate 1 because earlier runs
//! left folders in `gens/`, or reused evaluations with other replicates — is said in the output
//! and in a comment of the generated `config.yaml`, and shows in `--check`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::combos::{self, ComboOutcome};
use super::flags::require_selected;
use super::{
    AXIS_ORDER, Chains, Draft, Essay, Evaluation, GEN_ID_MAP_NAME, Migration, Options, draft_id,
    ensure_writable, essay_id, evaluation_id, gen_id_map, items_csv, read_table, refuse_renames,
    shown, write_spec_dir, yaml_comment, yaml_flow, yaml_str,
};
use crate::catalog::CatalogKind;
use crate::catalog::import::parse_replicates;
use crate::error::{Error, Location, Result};
use crate::ids::CohortId;
use crate::ids::{self, Stage};
use crate::layout::{GenMeta, metadata_path};
use crate::textfmt::count;

/// Settings of the legacy flow that lived in code, not files (semantics §5.1 "Combos").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacySettings {
    /// `ExperimentConfig.k_max`: how many active concepts the single combo takes (default 6).
    pub k_max: i64,
    /// `description_level` of the single combo (default `paragraph`).
    pub description_level: String,
    /// `created_at` for combo rows the single-combo rule appends.
    pub now: String,
}

/// Which legacy mode the data root is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Neither curated list: the product of the active lists.
    Cartesian,
    /// `2_tasks/selected_drafts.txt`.
    CuratedDrafts,
    /// `2_tasks/selected_essays.txt`.
    CuratedEssays,
}

impl Mode {
    fn describe(self) -> &'static str {
        match self {
            Mode::Cartesian => "Cartesian (no curated list in 2_tasks/)",
            Mode::CuratedDrafts => "curated drafts (2_tasks/selected_drafts.txt)",
            Mode::CuratedEssays => "curated essays (2_tasks/selected_essays.txt)",
        }
    }
}

/// The flag-selected lists and counts the legacy flow read.
struct Inputs {
    draft_templates: Vec<String>,
    essay_templates: Vec<String>,
    evaluation_templates: Vec<String>,
    generation_llms: Vec<String>,
    evaluation_llms: Vec<String>,
    /// Replicates per stage (draft, essay, evaluation).
    replicates: [i64; 3],
}

fn read_inputs(root: &Path) -> Result<Inputs> {
    let templates = |kind| require_selected(root, kind, "active");
    Ok(Inputs {
        draft_templates: templates(CatalogKind::DraftTemplates)?,
        essay_templates: templates(CatalogKind::EssayTemplates)?,
        evaluation_templates: templates(CatalogKind::EvaluationTemplates)?,
        generation_llms: require_selected(root, CatalogKind::LlmModels, "for_generation")?,
        evaluation_llms: require_selected(root, CatalogKind::LlmModels, "for_evaluation")?,
        replicates: read_replication(root)?,
    })
}

/// `replication_config.csv`: required in the legacy flow, each count at least 1.
fn read_replication(root: &Path) -> Result<[i64; 3]> {
    let path = CatalogKind::Replication.layout_path(root);
    let table = read_table(&path, || {
        Error::catalog(
            Location::file(&path),
            "no such file; the legacy flow took its replicate counts from it",
        )
    })?;
    let (Some(stage_col), Some(count_col)) = (table.column("stage"), table.column("replicates"))
    else {
        return Err(Error::catalog(
            Location::line(&path, 1),
            "expected the columns stage,replicates",
        ));
    };
    let mut counts: [Option<i64>; 3] = [None; 3];
    for (line, row) in &table.rows {
        let loc = |col: usize| Location::line_col(&path, *line, col as u64 + 1);
        let stage = Stage::parse(row[stage_col].trim()).ok_or_else(|| {
            Error::catalog(
                loc(stage_col),
                format!(
                    "{:?} is not a stage (expected draft, essay or evaluation)",
                    row[stage_col]
                ),
            )
        })?;
        let count = parse_replicates(&row[count_col]).ok_or_else(|| {
            Error::catalog(
                loc(count_col),
                format!("{:?} is not a replicate count (at least 1)", row[count_col]),
            )
        })?;
        counts[stage as usize] = Some(count);
    }
    let mut out = [0i64; 3];
    for stage in Stage::ALL {
        out[stage as usize] = counts[stage as usize].ok_or_else(|| {
            Error::catalog(
                Location::file(&path),
                format!(
                    "no {} row; the legacy flow required all three stages",
                    stage.as_str()
                ),
            )
        })?;
    }
    Ok(out)
}

/// A curated list: one gen_id per line, trimmed; blank lines and `#` comments skipped; repeats
/// dropped (the legacy flow allocated new replicates for a repeated id, which no one intended).
fn read_list(path: &Path, notes: &mut Vec<String>, shown_path: &str) -> Result<Vec<(u64, String)>> {
    let text = crate::fsutil::read_regular(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(text).map_err(|e| Error::Data {
        loc: Location::file(path),
        message: format!("not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
    })?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut repeated = 0;
    for (n, line) in text.lines().enumerate() {
        let id = ids::py_strip(line);
        if id.is_empty() || id.starts_with('#') {
            continue;
        }
        if id.contains(['/', '\\']) || id == "." || id == ".." {
            return Err(Error::Data {
                loc: Location::line(path, n as u64 + 1),
                message: format!("gen_id {id:?} is not a folder name under gens/"),
            });
        }
        if seen.insert(id.to_string()) {
            out.push((n as u64 + 1, id.to_string()));
        } else {
            repeated += 1;
        }
    }
    if out.is_empty() {
        return Err(Error::Data {
            loc: Location::file(path),
            message: "lists no gen_id".to_string(),
        });
    }
    if repeated > 0 {
        notes.push(format!("{shown_path}: {repeated} repeated id(s) ignored"));
    }
    Ok(out)
}

/// The legacy replicate allocator (semantics §5.1): on a key's first use it probes replicate
/// 1, 2, … for the first whose deterministic id has no folder under `gens/<stage>/`, then
/// hands out consecutive indices.
struct Allocator {
    gens: PathBuf,
    next: HashMap<(Stage, String), i64>,
}

impl Allocator {
    fn allocate(
        &mut self,
        stage: Stage,
        key: String,
        count: i64,
        id_for: impl Fn(i64) -> Result<String>,
    ) -> Result<Vec<i64>> {
        if count <= 0 {
            return Ok(Vec::new());
        }
        let start = match self.next.get(&(stage, key.clone())) {
            Some(next) => *next,
            None => {
                let mut rep = 1;
                while self.gens.join(stage.as_str()).join(id_for(rep)?).is_dir() {
                    rep += 1;
                }
                rep
            }
        };
        self.next.insert((stage, key), start + count);
        Ok((start..start + count).collect())
    }
}

/// Existing evaluations by (parent essay, template, LLM): `(replicate, gen_id)` each.
type EvaluationIndex = HashMap<(String, String, String), Vec<(i64, String)>>;

/// Scans `gens/evaluation/*/metadata.json` as the legacy flow did; unreadable files are
/// counted and skipped.
fn index_evaluations(gens: &Path, notes: &mut Vec<String>) -> Result<EvaluationIndex> {
    let dir = gens.join(Stage::Evaluation.as_str());
    let mut index = EvaluationIndex::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(index),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    let mut unreadable = 0;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&dir, e))?;
        let gen_id = entry.file_name().to_string_lossy().to_string();
        let path = metadata_path(gens, Stage::Evaluation, &gen_id);
        let Ok(bytes) = crate::fsutil::read_regular(&path) else {
            continue;
        };
        match GenMeta::parse(Stage::Evaluation, &bytes) {
            Ok(GenMeta {
                parent_gen_id: Some(parent),
                template_id: Some(template),
                llm_model_id: Some(llm),
                replicate,
                ..
            }) => index
                .entry((parent, template, llm))
                .or_default()
                .push((replicate, gen_id)),
            _ => unreadable += 1,
        }
    }
    if unreadable > 0 {
        notes.push(format!(
            "{unreadable} evaluation metadata file(s) under {} could not be read and were not considered for reuse",
            dir.display()
        ));
    }
    for found in index.values_mut() {
        found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    }
    Ok(index)
}

/// How many allocation keys of a stage got other replicates than `1..N`.
#[derive(Debug, Default)]
struct Irregular {
    essays: usize,
    evaluations: usize,
    example: Option<String>,
}

/// The simulation's state.
struct Simulation<'a> {
    inputs: &'a Inputs,
    allocator: Allocator,
    irregular: Irregular,
    chains: Chains,
}

impl Simulation<'_> {
    fn expected_reps(&self, stage: Stage) -> Vec<i64> {
        (1..=self.inputs.replicates[stage as usize]).collect()
    }

    /// Essays of every draft: active essay templates × allocated replicates, with the draft's LLM.
    fn essays_of_drafts(&mut self) -> Result<()> {
        let expected = self.expected_reps(Stage::Essay);
        for di in 0..self.chains.drafts.len() {
            for template in &self.inputs.essay_templates {
                let draft = &self.chains.drafts[di];
                let (source, rebuilt) = (draft.gen_id.clone(), draft.rebuilt.clone());
                let llm = draft.llm.clone();
                let reps = self.allocator.allocate(
                    Stage::Essay,
                    format!("{source}|{template}"),
                    expected.len() as i64,
                    |rep| essay_id(&source, template, rep),
                )?;
                if reps != expected {
                    self.irregular.essays += 1;
                    self.irregular.example.get_or_insert_with(|| {
                        format!("essays of draft {source} with {template}: replicates {reps:?}")
                    });
                }
                for rep in reps {
                    self.chains.essays.push(Essay {
                        draft: di,
                        template: template.clone(),
                        llm: llm.clone(),
                        rep,
                        gen_id: essay_id(&source, template, rep)?,
                        rebuilt: essay_id(&rebuilt, template, rep)?,
                    });
                }
            }
        }
        Ok(())
    }

    /// Evaluations of every essay (semantics §5.1 "Evaluations"): existing ones reused up to
    /// the count, sorted by replicate; the shortfall allocated.
    fn evaluations(&mut self, index: &EvaluationIndex) -> Result<()> {
        let expected = self.expected_reps(Stage::Evaluation);
        let count = expected.len();
        let mut seen_essays = HashSet::new();
        for ei in 0..self.chains.essays.len() {
            let essay = &self.chains.essays[ei];
            if !seen_essays.insert(essay.gen_id.clone()) {
                continue;
            }
            let (source, rebuilt) = (essay.gen_id.clone(), essay.rebuilt.clone());
            for template in &self.inputs.evaluation_templates {
                for llm in &self.inputs.evaluation_llms {
                    let key = (source.clone(), template.clone(), llm.clone());
                    let reused: Vec<(i64, String)> = index
                        .get(&key)
                        .map(|found| found.iter().take(count).cloned().collect())
                        .unwrap_or_default();
                    let fresh = self.allocator.allocate(
                        Stage::Evaluation,
                        format!("{source}|{template}|{llm}"),
                        (count - reused.len()) as i64,
                        |rep| evaluation_id(&source, template, llm, rep),
                    )?;
                    let mut entries = reused;
                    for rep in fresh {
                        entries.push((rep, evaluation_id(&source, template, llm, rep)?));
                    }
                    let reps: Vec<i64> = entries.iter().map(|(rep, _)| *rep).collect();
                    if reps != expected {
                        self.irregular.evaluations += 1;
                        self.irregular.example.get_or_insert_with(|| {
                            format!(
                                "evaluations of essay {source} with {template} × {llm}: replicates {reps:?}"
                            )
                        });
                    }
                    for (rep, gen_id) in entries {
                        self.chains.evaluations.push(Evaluation {
                            essay: ei,
                            template: template.clone(),
                            llm: llm.clone(),
                            rep,
                            gen_id,
                            rebuilt: evaluation_id(&rebuilt, template, llm, rep)?,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// The combos of the Cartesian mode, and what was done to find them.
struct Combos {
    ids: Vec<String>,
    source: String,
    /// The single combo to create: (concepts, level, k_max), when it is not in the file yet.
    create: Option<(Vec<String>, String, i64)>,
}

fn cartesian_combos(root: &Path, settings: &LegacySettings) -> Result<Combos> {
    let selected = root.join("2_tasks").join("selected_combo_mappings.csv");
    if selected.exists() {
        let table = read_table(&selected, || {
            Error::io(&selected, std::io::ErrorKind::NotFound.into())
        })?;
        let col = table.column("combo_id").ok_or_else(|| Error::Data {
            loc: Location::line(&selected, 1),
            message: "no \"combo_id\" column".to_string(),
        })?;
        let mut seen = HashSet::new();
        let ids: Vec<String> = table
            .rows
            .iter()
            .map(|(_, row)| row[col].trim().to_string())
            .filter(|id| !id.is_empty() && seen.insert(id.clone()))
            .collect();
        if ids.is_empty() {
            return Err(Error::Data {
                loc: Location::file(&selected),
                message: "selects no combo".to_string(),
            });
        }
        return Ok(Combos {
            ids,
            source: "2_tasks/selected_combo_mappings.csv".to_string(),
            create: None,
        });
    }
    // The single-combo rule of 2025-10-01 on: the first active concepts, one combo.
    let active = require_selected(root, CatalogKind::Concepts, "active")?;
    if active.is_empty() {
        return Err(Error::catalog(
            Location::file(CatalogKind::Concepts.layout_path(root)),
            "no active concept, so the legacy single-combo rule selects no combo (and there is no 2_tasks/selected_combo_mappings.csv)",
        ));
    }
    let take = settings.k_max.clamp(1, active.len() as i64) as usize;
    let concepts: Vec<String> = active.into_iter().take(take).collect();
    let id = combos::combo_id(&concepts, &settings.description_level, settings.k_max);
    Ok(Combos {
        ids: vec![id.clone()],
        source: format!(
            "the single-combo rule: the first {take} active concepts of 1_raw/concepts_metadata.csv ({}), level {}, k_max {} → {id}",
            concepts.join(", "),
            settings.description_level,
            settings.k_max
        ),
        create: Some((concepts, settings.description_level.clone(), settings.k_max)),
    })
}

/// Reads a curated draft's metadata; combo, template and LLM are required.
fn curated_draft(gens: &Path, list: &Path, line: u64, id: &str) -> Result<Draft> {
    let path = metadata_path(gens, Stage::Draft, id);
    let meta = read_meta(&path, Stage::Draft, || {
        format!(
            "draft_metadata_missing: draft {id} ({}:{line}) has no metadata",
            list.display()
        )
    })?;
    let missing: Vec<&str> = [
        ("combo_id", &meta.combo_id),
        ("template_id", &meta.template_id),
        ("llm_model_id", &meta.llm_model_id),
    ]
    .iter()
    .filter(|(_, v)| v.is_none())
    .map(|(k, _)| *k)
    .collect();
    if !missing.is_empty() {
        return Err(Error::Data {
            loc: Location::file(&path),
            message: format!("missing_draft_metadata: no value for {missing:?}"),
        });
    }
    let (combo, template, llm) = (
        meta.combo_id.unwrap_or_default(),
        meta.template_id.unwrap_or_default(),
        meta.llm_model_id.unwrap_or_default(),
    );
    let rebuilt = draft_id(&combo, &template, &llm, meta.replicate)?;
    Ok(Draft {
        combo,
        template,
        llm,
        rep: meta.replicate,
        gen_id: id.to_string(),
        rebuilt,
    })
}

fn read_meta(path: &Path, stage: Stage, missing: impl FnOnce() -> String) -> Result<GenMeta> {
    let bytes = match crate::fsutil::read_regular(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::Data {
                loc: Location::file(path),
                message: missing(),
            });
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    GenMeta::parse(stage, &bytes).map_err(|e| Error::Data {
        loc: Location::file(path),
        message: e.to_string(),
    })
}

/// Mode A: each listed essay with its draft, from their metadata (semantics §5.1 "Mode A").
fn curated_essays(
    gens: &Path,
    list: &Path,
    ids: &[(u64, String)],
    chains: &mut Chains,
) -> Result<()> {
    let mut drafts: HashMap<String, usize> = HashMap::new();
    for (line, id) in ids {
        let path = metadata_path(gens, Stage::Essay, id);
        let meta = read_meta(&path, Stage::Essay, || {
            if metadata_path(gens, Stage::Draft, id).exists() {
                format!(
                    "curated_essay_is_draft: {id} ({}:{line}) is a draft, not an essay",
                    list.display()
                )
            } else {
                format!(
                    "essay_metadata_missing: essay {id} ({}:{line}) has no metadata",
                    list.display()
                )
            }
        })?;
        let no = |what: &str| Error::Data {
            loc: Location::file(&path),
            message: format!("{what}: no value"),
        };
        let template = meta
            .template_id
            .clone()
            .ok_or_else(|| no("essay_missing_template: template_id"))?;
        let parent = meta
            .parent_gen_id
            .clone()
            .ok_or_else(|| no("essay_missing_parent: parent_gen_id"))?;
        let draft_path = metadata_path(gens, Stage::Draft, &parent);
        let draft_meta = read_meta(&draft_path, Stage::Draft, || {
            format!(
                "draft_parent_metadata_missing: the draft {parent} of essay {id} has no metadata"
            )
        })?;
        let draft_llm = draft_meta
            .llm_model_id
            .clone()
            .or(meta.llm_model_id.clone());
        let essay_llm = meta
            .llm_model_id
            .clone()
            .or(draft_meta.llm_model_id.clone());
        let missing: Vec<&str> = [
            ("combo_id", draft_meta.combo_id.is_none()),
            ("draft template_id", draft_meta.template_id.is_none()),
            ("llm_model_id", draft_llm.is_none()),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(k, _)| *k)
        .collect();
        if !missing.is_empty() {
            return Err(Error::Data {
                loc: Location::file(&draft_path),
                message: format!(
                    "missing_metadata_for_tasks of essay {id}: no value for {missing:?}"
                ),
            });
        }
        let di = match drafts.get(&parent) {
            Some(&di) => di,
            None => {
                let (combo, draft_template, llm) = (
                    draft_meta.combo_id.unwrap_or_default(),
                    draft_meta.template_id.unwrap_or_default(),
                    draft_llm.unwrap_or_default(),
                );
                let rebuilt = draft_id(&combo, &draft_template, &llm, draft_meta.replicate)?;
                chains.drafts.push(Draft {
                    combo,
                    template: draft_template,
                    llm,
                    rep: draft_meta.replicate,
                    gen_id: parent.clone(),
                    rebuilt,
                });
                drafts.insert(parent.clone(), chains.drafts.len() - 1);
                chains.drafts.len() - 1
            }
        };
        let rebuilt = essay_id(&chains.drafts[di].rebuilt, &template, meta.replicate)?;
        chains.essays.push(Essay {
            draft: di,
            template,
            llm: essay_llm.unwrap_or_default(),
            rep: meta.replicate,
            gen_id: id.clone(),
            rebuilt,
        });
    }
    Ok(())
}

/// An inline tuple's items: the product of `lists`, one flow sequence per line.
fn inline_items(out: &mut String, lists: &[Vec<String>]) {
    let mut rows: Vec<Vec<String>> = vec![Vec::new()];
    for list in lists {
        rows = rows
            .into_iter()
            .flat_map(|row| {
                list.iter().map(move |v| {
                    let mut row = row.clone();
                    row.push(v.clone());
                    row
                })
            })
            .collect();
    }
    out.push_str("      items:\n");
    for row in rows {
        out.push_str(&format!("        - {}\n", yaml_flow(row)));
    }
}

fn quoted(values: &[String]) -> Vec<String> {
    values.iter().map(|v| yaml_str(v)).collect()
}

fn reps(n: i64) -> Vec<String> {
    (1..=n).map(|r| r.to_string()).collect()
}

/// The spec's text and items files for a mode.
fn spec_files(
    mode: Mode,
    inputs: &Inputs,
    combos: &[String],
    chains: &Chains,
    header: &str,
) -> Vec<(String, Vec<u8>)> {
    let [rd, re, rv] = inputs.replicates;
    let mut out = String::from(header);
    let mut files = Vec::new();
    let eval_plan = |out: &mut String| {
        out.push_str(&format!(
            "    evaluations:\n      axes: {}\n",
            yaml_flow(AXIS_ORDER[7..].iter().map(|s| s.to_string()))
        ));
        inline_items(
            out,
            &[
                quoted(&inputs.evaluation_templates),
                quoted(&inputs.evaluation_llms),
                reps(rv),
            ],
        );
    };
    match mode {
        Mode::Cartesian => {
            out.push_str("axes:\n");
            let axis = |out: &mut String, name: &str, values: Vec<String>| {
                out.push_str(&format!("  {name}: {}\n", yaml_flow(values)));
            };
            axis(&mut out, "combo_id", quoted(combos));
            axis(&mut out, "draft_template", quoted(&inputs.draft_templates));
            axis(&mut out, "draft_llm", quoted(&inputs.generation_llms));
            axis(&mut out, "draft_replicate", reps(rd));
            axis(&mut out, "essay_template", quoted(&inputs.essay_templates));
            axis(&mut out, "essay_llm", quoted(&inputs.generation_llms));
            axis(&mut out, "essay_replicate", reps(re));
            axis(
                &mut out,
                "evaluation_template",
                quoted(&inputs.evaluation_templates),
            );
            axis(&mut out, "evaluation_llm", quoted(&inputs.evaluation_llms));
            axis(&mut out, "evaluation_replicate", reps(rv));
            out.push_str("rules:\n  ties:\n");
            out.push_str("    # The legacy flow wrote each essay with its draft's LLM.\n");
            out.push_str("    draft_llm: [draft_llm, essay_llm]\n");
        }
        Mode::CuratedDrafts => {
            let axes = [
                "combo_id",
                "draft_template",
                "draft_llm",
                "draft_replicate",
                "essay_llm",
            ];
            let rows: Vec<Vec<String>> = chains
                .drafts
                .iter()
                .map(|d| {
                    vec![
                        d.combo.clone(),
                        d.template.clone(),
                        d.llm.clone(),
                        d.rep.to_string(),
                        d.llm.clone(),
                    ]
                })
                .collect();
            files.push(("items/drafts.csv".to_string(), items_csv(&axes, &rows)));
            out.push_str("rules:\n  tuples:\n");
            out.push_str("    # The curated drafts, from their metadata; each essay is written with its draft's LLM.\n");
            out.push_str(&format!(
                "    drafts:\n      axes: {}\n      items: \"@file:items/drafts.csv\"\n",
                yaml_flow(axes.iter().map(|s| s.to_string()))
            ));
            out.push_str("    # Active essay templates × replicates.\n");
            out.push_str("    essays:\n      axes: [essay_template, essay_replicate]\n");
            inline_items(&mut out, &[quoted(&inputs.essay_templates), reps(re)]);
        }
        Mode::CuratedEssays => {
            let axes = &AXIS_ORDER[..7];
            let rows: Vec<Vec<String>> =
                chains.essays.iter().map(|e| chains.essay_row(e)).collect();
            files.push(("items/essays.csv".to_string(), items_csv(axes, &rows)));
            out.push_str("rules:\n  tuples:\n");
            out.push_str("    # The curated essays with their drafts, from their metadata.\n");
            out.push_str(&format!(
                "    essays:\n      axes: {}\n      items: \"@file:items/essays.csv\"\n",
                yaml_flow(axes.iter().map(|s| s.to_string()))
            ));
        }
    }
    if mode != Mode::Cartesian {
        out.push_str("    # Active evaluation templates × for_evaluation LLMs × replicates.\n");
        eval_plan(&mut out);
    }
    out.push_str(&format!(
        "output:\n  field_order: {}\n",
        yaml_flow(AXIS_ORDER.map(str::to_string))
    ));
    files.insert(0, ("config.yaml".to_string(), out.into_bytes()));
    files
}

/// Refuses an empty active list the mode needs: the legacy flow would have built a cohort
/// without evaluations, which a spec cannot describe.
fn require_nonempty(root: &Path, mode: Mode, inputs: &Inputs) -> Result<()> {
    let mut needed: Vec<(&Vec<String>, CatalogKind, &str)> = vec![
        (
            &inputs.evaluation_templates,
            CatalogKind::EvaluationTemplates,
            "active",
        ),
        (
            &inputs.evaluation_llms,
            CatalogKind::LlmModels,
            "for_evaluation",
        ),
    ];
    if mode != Mode::CuratedEssays {
        needed.push((
            &inputs.essay_templates,
            CatalogKind::EssayTemplates,
            "active",
        ));
    }
    if mode == Mode::Cartesian {
        needed.push((
            &inputs.draft_templates,
            CatalogKind::DraftTemplates,
            "active",
        ));
        needed.push((
            &inputs.generation_llms,
            CatalogKind::LlmModels,
            "for_generation",
        ));
    }
    for (list, kind, flag) in needed {
        if list.is_empty() {
            return Err(Error::catalog(
                Location::file(kind.layout_path(root)),
                format!(
                    "no row has {flag} set, so the legacy flow would build no evaluations; a spec cannot describe that cohort"
                ),
            ));
        }
    }
    Ok(())
}

/// Writes the spec of the legacy cohort `id` on `root` into `options.out`.
pub fn migrate(
    root: &Path,
    id: &CohortId,
    options: &Options,
    settings: &LegacySettings,
) -> Result<Migration> {
    let tasks = root.join("2_tasks");
    let essays_list = tasks.join("selected_essays.txt");
    let drafts_list = tasks.join("selected_drafts.txt");
    let mode = match (essays_list.exists(), drafts_list.exists()) {
        (true, true) => {
            return Err(Error::Data {
                loc: Location::file(&tasks),
                message: "both selected_essays.txt and selected_drafts.txt exist (multiple_curated_inputs); the legacy flow refused this too — keep one".to_string(),
            });
        }
        (true, false) => Mode::CuratedEssays,
        (false, true) => Mode::CuratedDrafts,
        (false, false) => Mode::Cartesian,
    };
    let inputs = read_inputs(root)?;
    require_nonempty(root, mode, &inputs)?;
    ensure_writable(&options.out, options.force)?;
    let gens = root.join("gens");
    let mut notes = Vec::new();
    let mut sim = Simulation {
        inputs: &inputs,
        allocator: Allocator {
            gens: gens.clone(),
            next: HashMap::new(),
        },
        irregular: Irregular::default(),
        chains: Chains::default(),
    };
    let mut combo_ids = Vec::new();
    let mut combo_plan = None;
    let mut source_lines = vec![format!("Legacy mode: {}.", mode.describe())];
    match mode {
        Mode::Cartesian => {
            let combos = cartesian_combos(root, settings)?;
            source_lines.push(format!("Combos: {}.", combos.source));
            for combo in &combos.ids {
                for template in &inputs.draft_templates {
                    for llm in &inputs.generation_llms {
                        for rep in 1..=inputs.replicates[0] {
                            let gen_id = draft_id(combo, template, llm, rep)?;
                            sim.chains.drafts.push(Draft {
                                combo: combo.clone(),
                                template: template.clone(),
                                llm: llm.clone(),
                                rep,
                                rebuilt: gen_id.clone(),
                                gen_id,
                            });
                        }
                    }
                }
            }
            combo_ids = combos.ids;
            combo_plan = combos.create;
            sim.essays_of_drafts()?;
        }
        Mode::CuratedDrafts => {
            let listed = read_list(&drafts_list, &mut notes, "2_tasks/selected_drafts.txt")?;
            for (line, id) in &listed {
                let draft = curated_draft(&gens, &drafts_list, *line, id)?;
                sim.chains.drafts.push(draft);
            }
            sim.essays_of_drafts()?;
        }
        Mode::CuratedEssays => {
            let listed = read_list(&essays_list, &mut notes, "2_tasks/selected_essays.txt")?;
            curated_essays(&gens, &essays_list, &listed, &mut sim.chains)?;
        }
    }
    let earlier = root
        .join("cohorts")
        .join(id.as_str())
        .join("membership.csv");
    if earlier.exists() {
        notes.push(format!(
            "{} exists: the legacy flow already ran for this cohort; `cohortdb migrate membership {id}` reproduces exactly what it produced",
            shown(root, &earlier)
        ));
    }
    let index = index_evaluations(&gens, &mut notes)?;
    sim.evaluations(&index)?;
    let Simulation {
        chains, irregular, ..
    } = sim;

    let mut migration = Migration::new(
        &options.out,
        &chains,
        "the legacy flow on this data root".to_string(),
    );
    if !migration.renamed.is_empty() && !options.allow_new_ids {
        return Err(refuse_renames(&migration.renamed));
    }

    let [rd, re, rv] = inputs.replicates;
    let mut header = String::new();
    yaml_comment(
        &mut header,
        &format!(
            "Written by `cohortdb migrate legacy {id}` from the legacy selection flags: active templates,"
        ),
    );
    yaml_comment(
        &mut header,
        "for_generation / for_evaluation LLMs (1_raw/llm_models.csv), and replicate counts",
    );
    yaml_comment(
        &mut header,
        &format!("(1_raw/replication_config.csv: draft {rd}, essay {re}, evaluation {rv})."),
    );
    for line in &source_lines {
        yaml_comment(&mut header, line);
    }
    let mut approximations = vec![
        "Replicates are 1..N per stage. The legacy flow allocated essay and evaluation replicates"
            .to_string(),
        "by probing gens/ for existing folders, and reused existing evaluations (semantics §5.1);"
            .to_string(),
        "a spec cannot express that. On a data root without earlier generations the two agree."
            .to_string(),
    ];
    if irregular.essays + irregular.evaluations > 0 {
        let text = format!(
            "{} essay and {} evaluation allocations get other replicates than 1..N (e.g. {}); `--check` lists the members that differ",
            irregular.essays,
            irregular.evaluations,
            irregular.example.as_deref().unwrap_or_default()
        );
        approximations.push(format!("On this data root they differ: {text}."));
        notes.push(format!("not expressible exactly on this data root: {text}"));
    }
    for line in &approximations {
        yaml_comment(&mut header, line);
    }
    if !migration.renamed.is_empty() {
        yaml_comment(
            &mut header,
            &format!(
                "{} members get new gen_ids (legacy or unreproducible ids): see {GEN_ID_MAP_NAME}.",
                migration.renamed.len()
            ),
        );
    }
    let mut files = spec_files(mode, &inputs, &combo_ids, &chains, &header);
    if !migration.renamed.is_empty() {
        files.push((GEN_ID_MAP_NAME.to_string(), gen_id_map(&migration.renamed)));
    }

    if let Some((concepts, level, k_max)) = combo_plan {
        let path = CatalogKind::ComboMappings.layout_path(root);
        let (combo, outcome) =
            combos::get_or_create(&path, &concepts, &level, k_max, &settings.now)?;
        notes.push(match outcome {
            ComboOutcome::Existing => format!("combo {combo} is already in {}", shown(root, &path)),
            ComboOutcome::Appended { rows } => format!(
                "combo {combo} appended to {} ({rows} rows), as the legacy flow did; import it before building",
                shown(root, &path)
            ),
        });
    }
    write_spec_dir(&options.out, &files, options.force)?;
    migration.files = files
        .iter()
        .map(|(path, bytes)| {
            let what = if path == "config.yaml" {
                mode.describe().to_string()
            } else {
                let lines = bytes
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    .saturating_sub(1);
                count(lines as u64, "row")
            };
            (path.clone(), what)
        })
        .collect();
    migration.notes = notes;
    Ok(migration)
}
