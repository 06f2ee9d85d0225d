//! `migrate legacy` (docs/reference.md §5.1, D17 b): the cohort the legacy `cohort_membership` built
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

use crate::layout::DataLayout;
use std::collections::HashMap;
use std::path::Path;

use super::combos::{self, ComboOutcome};
use super::{
    Chains, Draft, GEN_ID_MAP_NAME, Migration, Options, RecordOrigins, draft_id, ensure_writable,
    gen_id_map, legacy_origins, refuse_renames, shown, write_spec_dir, yaml_comment,
};
use crate::catalog::CatalogKind;
use crate::error::{DataErrorKind, Error, Location, Result};
use crate::ids::{CohortId, Replicate};
use crate::textfmt::count;

mod inputs;
mod simulate;
mod specfile;

use inputs::{Inputs, cartesian_combos, read_inputs, read_list, require_nonempty};
use simulate::{
    Allocator, Irregular, Simulation, curated_draft, curated_essays, index_evaluations,
};
use specfile::spec_files;

/// Settings of the legacy flow that lived in code, not files (docs/reference.md §5.1 "Combos").
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

/// The curated lists' paths under `2_tasks/`, and the mode their presence selects.
struct Lists {
    essays: std::path::PathBuf,
    drafts: std::path::PathBuf,
    mode: Mode,
}

/// Finds the legacy mode from the curated lists present; both present is refused, as the
/// legacy flow refused it.
fn detect_mode(root: &Path) -> Result<Lists> {
    let tasks = root.join("2_tasks");
    let essays = tasks.join("selected_essays.txt");
    let drafts = tasks.join("selected_drafts.txt");
    let mode = match (essays.exists(), drafts.exists()) {
        (true, true) => {
            return Err(Error::data(
                Location::file(&tasks),
                DataErrorKind::BothCuratedLists,
            ));
        }
        (true, false) => Mode::CuratedEssays,
        (false, true) => Mode::CuratedDrafts,
        (false, false) => Mode::Cartesian,
    };
    Ok(Lists {
        essays,
        drafts,
        mode,
    })
}

/// What simulating the legacy flow gave: its chains, the allocations a spec cannot express,
/// the Cartesian combos (and the single combo to create), and lines describing the source.
struct Simulated {
    chains: Chains,
    irregular: Irregular,
    combo_ids: Vec<String>,
    combo_plan: Option<(Vec<String>, String, i64)>,
    source_lines: Vec<String>,
}

/// Runs the legacy flow of `lists.mode` on `root` (docs/reference.md §5.1).
fn simulate(
    root: &Path,
    id: &CohortId,
    lists: &Lists,
    inputs: &Inputs,
    settings: &LegacySettings,
    notes: &mut Vec<String>,
) -> Result<Simulated> {
    let gens = DataLayout::new(root).gens();
    let mut sim = Simulation {
        inputs,
        allocator: Allocator {
            gens: gens.clone(),
            next: HashMap::new(),
        },
        irregular: Irregular::default(),
        chains: Chains::default(),
    };
    let mut combo_ids = Vec::new();
    let mut combo_plan = None;
    let mut source_lines = vec![format!("Legacy mode: {}.", lists.mode.describe())];
    match lists.mode {
        Mode::Cartesian => {
            let combos = cartesian_combos(root, settings)?;
            source_lines.push(format!("Combos: {}.", combos.source));
            cartesian_drafts(&combos.ids, inputs, &mut sim.chains)?;
            combo_ids = combos.ids;
            combo_plan = combos.create;
            sim.essays_of_drafts()?;
        }
        Mode::CuratedDrafts => {
            let listed = read_list(&lists.drafts, notes, "2_tasks/selected_drafts.txt")?;
            for (line, id) in &listed {
                let draft = curated_draft(&gens, &lists.drafts, *line, id)?;
                sim.chains.drafts.push(draft);
            }
            sim.essays_of_drafts()?;
        }
        Mode::CuratedEssays => {
            let listed = read_list(&lists.essays, notes, "2_tasks/selected_essays.txt")?;
            curated_essays(&gens, &lists.essays, &listed, &mut sim.chains)?;
        }
    }
    let earlier = DataLayout::new(root).membership_csv(id.as_str());
    if earlier.exists() {
        notes.push(format!(
            "{} exists: the legacy flow already ran for this cohort; `cohortdb migrate membership {id}` reproduces exactly what it produced",
            shown(root, &earlier)
        ));
    }
    let index = index_evaluations(&gens, notes)?;
    sim.evaluations(&index)?;
    Ok(Simulated {
        chains: sim.chains,
        irregular: sim.irregular,
        combo_ids,
        combo_plan,
        source_lines,
    })
}

/// The Cartesian mode's drafts: combos × active draft templates × generation LLMs × replicates.
fn cartesian_drafts(combos: &[String], inputs: &Inputs, chains: &mut Chains) -> Result<()> {
    for combo in combos {
        for template in &inputs.draft_templates {
            for llm in &inputs.generation_llms {
                for rep in (1..=inputs.replicates[0]).map(Replicate::from) {
                    let gen_id = draft_id(combo, template, llm, &rep)?;
                    chains.drafts.push(Draft {
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
    Ok(())
}

/// The generated `config.yaml`'s comment header: where the spec came from and what it cannot
/// express; notes what differs on this data root.
fn header(
    id: &CohortId,
    inputs: &Inputs,
    simulated: &Simulated,
    renamed: usize,
    notes: &mut Vec<String>,
) -> String {
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
    for line in &simulated.source_lines {
        yaml_comment(&mut header, line);
    }
    let mut approximations = vec![
        "Replicates are 1..N per stage. The legacy flow allocated essay and evaluation replicates"
            .to_string(),
        "by probing gens/ for existing folders, and reused existing evaluations (docs/reference.md §5.1);"
            .to_string(),
        "a spec cannot express that. On a data root without earlier generations the two agree."
            .to_string(),
    ];
    let irregular = &simulated.irregular;
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
    if renamed > 0 {
        yaml_comment(
            &mut header,
            &format!(
                "{renamed} members get new gen_ids (legacy or unreproducible ids): see {GEN_ID_MAP_NAME}."
            ),
        );
    }
    header
}

/// Each written file with what it holds: the mode for `config.yaml`, the row count for items.
fn describe_files(mode: Mode, files: &[(String, Vec<u8>)]) -> Vec<(String, String)> {
    files
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
        .collect()
}

/// Writes the spec of the legacy cohort `id` on `root` into `options.out`. `record` gets the
/// legacy metadata.json files the members keep (curated modes keep the listed generations, and
/// the legacy flow reused evaluations), before the spec is written (D24).
pub fn migrate(
    root: &Path,
    id: &CohortId,
    options: &Options,
    settings: &LegacySettings,
    record: RecordOrigins<'_>,
) -> Result<Migration> {
    let lists = detect_mode(root)?;
    let mode = lists.mode;
    let inputs = read_inputs(root)?;
    require_nonempty(root, mode, &inputs)?;
    ensure_writable(&options.out, options.force)?;
    let mut notes = Vec::new();
    let simulated = simulate(root, id, &lists, &inputs, settings, &mut notes)?;

    let mut migration = Migration::new(
        &options.out,
        &simulated.chains,
        "the legacy flow on this data root".to_string(),
    );
    if !migration.renamed.is_empty() && !options.allow_new_ids {
        return Err(refuse_renames(&migration.renamed));
    }
    let header = header(id, &inputs, &simulated, migration.renamed.len(), &mut notes);
    let mut files = spec_files(
        mode,
        &inputs,
        &simulated.combo_ids,
        &simulated.chains,
        &header,
    );
    if !migration.renamed.is_empty() {
        files.push((GEN_ID_MAP_NAME.to_string(), gen_id_map(&migration.renamed)));
    }

    if let Some((concepts, level, k_max)) = &simulated.combo_plan {
        let path = CatalogKind::ComboMappings.layout_path(root);
        let (combo, outcome) =
            combos::get_or_create(&path, concepts, level, *k_max, &settings.now)?;
        notes.push(match outcome {
            ComboOutcome::Existing => format!("combo {combo} is already in {}", shown(root, &path)),
            ComboOutcome::Appended { rows } => format!(
                "combo {combo} appended to {} ({rows} rows), as the legacy flow did; import it before building",
                shown(root, &path)
            ),
        });
    }
    migration.origins = legacy_origins(&DataLayout::new(root).gens(), id, &migration.expected)?;
    record(&migration.origins)?;
    write_spec_dir(&options.out, &files, options.force)?;
    migration.files = describe_files(mode, &files);
    migration.notes = notes;
    Ok(migration)
}
