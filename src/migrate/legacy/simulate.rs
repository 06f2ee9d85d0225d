//! The legacy flow simulated: its replicate allocator, reused evaluations and curated
//! chains (docs/reference.md §5.1).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::super::{Chains, Draft, Essay, Evaluation, draft_id, essay_id, evaluation_id};
use crate::error::{DataErrorKind, Error, ListLine, Location, Result};
use crate::ids::{Replicate, Stage};
use crate::layout::{GenMeta, metadata_path, read_metadata};

use super::inputs::Inputs;

/// The legacy replicate allocator (docs/reference.md §5.1): on a key's first use it probes replicate
/// 1, 2, … for the first whose deterministic id has no folder under `gens/<stage>/`, then
/// hands out consecutive indices.
pub(super) struct Allocator {
    pub(super) gens: PathBuf,
    pub(super) next: HashMap<(Stage, String), i64>,
}

impl Allocator {
    pub(super) fn allocate(
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
pub(super) type EvaluationIndex = HashMap<(String, String, String), Vec<(Replicate, String)>>;

/// Scans `gens/evaluation/*/metadata.json` as the legacy flow did; unreadable files are
/// counted and skipped.
pub(super) fn index_evaluations(gens: &Path, notes: &mut Vec<String>) -> Result<EvaluationIndex> {
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
        // Read through the path policy: a link in gens/ is skipped, never read through.
        let Ok(Some(bytes)) = read_metadata(gens, Stage::Evaluation, &gen_id) else {
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
pub(super) struct Irregular {
    pub(super) essays: usize,
    pub(super) evaluations: usize,
    pub(super) example: Option<String>,
}

/// The simulation's state.
pub(super) struct Simulation<'a> {
    pub(super) inputs: &'a Inputs,
    pub(super) allocator: Allocator,
    pub(super) irregular: Irregular,
    pub(super) chains: Chains,
}

impl Simulation<'_> {
    pub(super) fn expected_reps(&self, stage: Stage) -> Vec<Replicate> {
        (1..=self.inputs.replicates[stage as usize])
            .map(Replicate::from)
            .collect()
    }

    /// Essays of every draft: active essay templates × allocated replicates, with the draft's LLM.
    pub(super) fn essays_of_drafts(&mut self) -> Result<()> {
        let expected = self.expected_reps(Stage::Essay);
        for di in 0..self.chains.drafts.len() {
            for template in &self.inputs.essay_templates {
                let draft = &self.chains.drafts[di];
                let (source, rebuilt) = (draft.gen_id.clone(), draft.rebuilt.clone());
                let llm = draft.llm.clone();
                let reps: Vec<Replicate> = self
                    .allocator
                    .allocate(
                        Stage::Essay,
                        format!("{source}|{template}"),
                        expected.len() as i64,
                        |rep| essay_id(&source, template, &Replicate::from(rep)),
                    )?
                    .into_iter()
                    .map(Replicate::from)
                    .collect();
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
                        gen_id: essay_id(&source, template, &rep)?,
                        rebuilt: essay_id(&rebuilt, template, &rep)?,
                        rep,
                    });
                }
            }
        }
        Ok(())
    }

    /// Evaluations of every essay (docs/reference.md §5.1 "Evaluations"): existing ones reused up to
    /// the count, sorted by replicate; the shortfall allocated.
    pub(super) fn evaluations(&mut self, index: &EvaluationIndex) -> Result<()> {
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
                    let reused: Vec<(Replicate, String)> = index
                        .get(&key)
                        .map(|found| found.iter().take(count).cloned().collect())
                        .unwrap_or_default();
                    let fresh = self.allocator.allocate(
                        Stage::Evaluation,
                        format!("{source}|{template}|{llm}"),
                        (count - reused.len()) as i64,
                        |rep| evaluation_id(&source, template, llm, &Replicate::from(rep)),
                    )?;
                    let mut entries = reused;
                    for rep in fresh.into_iter().map(Replicate::from) {
                        let gen_id = evaluation_id(&source, template, llm, &rep)?;
                        entries.push((rep, gen_id));
                    }
                    let reps: Vec<Replicate> = entries.iter().map(|(rep, _)| rep.clone()).collect();
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
                            rebuilt: evaluation_id(&rebuilt, template, llm, &rep)?,
                            rep,
                            gen_id,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// Reads a curated draft's metadata; combo, template and LLM are required.
pub(super) fn curated_draft(gens: &Path, list: &Path, line: u64, id: &str) -> Result<Draft> {
    let path = metadata_path(gens, Stage::Draft, id);
    let meta = read_meta(gens, Stage::Draft, id, || {
        DataErrorKind::DraftMetadataMissing {
            id: id.to_string(),
            at: ListLine {
                list: list.display().to_string(),
                line,
            },
        }
    })?;
    let missing: Vec<&'static str> = [
        ("combo_id", &meta.combo_id),
        ("template_id", &meta.template_id),
        ("llm_model_id", &meta.llm_model_id),
    ]
    .iter()
    .filter(|(_, v)| v.is_none())
    .map(|(k, _)| *k)
    .collect();
    if !missing.is_empty() {
        return Err(Error::data(
            Location::file(&path),
            DataErrorKind::MissingDraftMetadata { fields: missing },
        ));
    }
    let (combo, template, llm) = (
        meta.combo_id.unwrap_or_default(),
        meta.template_id.unwrap_or_default(),
        meta.llm_model_id.unwrap_or_default(),
    );
    let rebuilt = draft_id(&combo, &template, &llm, &meta.replicate)?;
    Ok(Draft {
        combo,
        template,
        llm,
        rep: meta.replicate,
        gen_id: id.to_string(),
        rebuilt,
    })
}

/// The metadata of generation `id` of `stage` under `gens`, read through the path policy (no
/// link below `gens` is followed); `missing` says why its absence is an error.
pub(super) fn read_meta(
    gens: &Path,
    stage: Stage,
    id: &str,
    missing: impl FnOnce() -> DataErrorKind,
) -> Result<GenMeta> {
    let path = metadata_path(gens, stage, id);
    let Some(bytes) = read_metadata(gens, stage, id)? else {
        return Err(Error::data(Location::file(&path), missing()));
    };
    GenMeta::parse(stage, &bytes)
        .map_err(|source| Error::data(Location::file(&path), DataErrorKind::Metadata { source }))
}

/// Mode A: each listed essay with its draft, from their metadata (docs/reference.md §5.1 "Mode A").
pub(super) fn curated_essays(
    gens: &Path,
    list: &Path,
    ids: &[(u64, String)],
    chains: &mut Chains,
) -> Result<()> {
    let mut drafts: HashMap<String, usize> = HashMap::new();
    for (line, id) in ids {
        let path = metadata_path(gens, Stage::Essay, id);
        let meta = read_meta(gens, Stage::Essay, id, || {
            let at = ListLine {
                list: list.display().to_string(),
                line: *line,
            };
            let id = id.clone();
            if metadata_path(gens, Stage::Draft, &id).exists() {
                DataErrorKind::CuratedEssayIsDraft { id, at }
            } else {
                DataErrorKind::EssayMetadataMissing { id, at }
            }
        })?;
        let no = |code, field| {
            Error::data(
                Location::file(&path),
                DataErrorKind::EssayMissing { code, field },
            )
        };
        let template = meta
            .template_id
            .clone()
            .ok_or_else(|| no("essay_missing_template", "template_id"))?;
        let parent = meta
            .parent_gen_id
            .clone()
            .ok_or_else(|| no("essay_missing_parent", "parent_gen_id"))?;
        let draft_path = metadata_path(gens, Stage::Draft, &parent);
        let draft_meta = read_meta(gens, Stage::Draft, &parent, || {
            DataErrorKind::ParentMetadataMissing {
                parent: parent.clone(),
                essay: id.clone(),
            }
        })?;
        let draft_llm = draft_meta
            .llm_model_id
            .clone()
            .or(meta.llm_model_id.clone());
        let essay_llm = meta
            .llm_model_id
            .clone()
            .or(draft_meta.llm_model_id.clone());
        let missing: Vec<&'static str> = [
            ("combo_id", draft_meta.combo_id.is_none()),
            ("draft template_id", draft_meta.template_id.is_none()),
            ("llm_model_id", draft_llm.is_none()),
        ]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(k, _)| *k)
        .collect();
        if !missing.is_empty() {
            return Err(Error::data(
                Location::file(&draft_path),
                DataErrorKind::MissingTaskMetadata {
                    essay: id.clone(),
                    fields: missing,
                },
            ));
        }
        let di = match drafts.get(&parent) {
            Some(&di) => di,
            None => {
                let (combo, draft_template, llm) = (
                    draft_meta.combo_id.unwrap_or_default(),
                    draft_meta.template_id.unwrap_or_default(),
                    draft_llm.unwrap_or_default(),
                );
                let rebuilt = draft_id(&combo, &draft_template, &llm, &draft_meta.replicate)?;
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
        let rebuilt = essay_id(&chains.drafts[di].rebuilt, &template, &meta.replicate)?;
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
