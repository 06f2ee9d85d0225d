//! What the legacy flow read: the flag-selected lists, replicate counts, curated lists and
//! combos (docs/reference.md §5.1).

use std::collections::HashSet;
use std::path::Path;

use super::super::combos::{self};
use super::super::flags::require_selected;
use super::super::read_table;
use crate::catalog::CatalogKind;
use crate::catalog::import::parse_replicates;
use crate::error::{CatalogErrorKind, DataErrorKind, Error, Location, Result};
use crate::ids::{self, Stage};

use super::{LegacySettings, Mode};

/// The flag-selected lists and counts the legacy flow read.
pub(super) struct Inputs {
    pub(super) draft_templates: Vec<String>,
    pub(super) essay_templates: Vec<String>,
    pub(super) evaluation_templates: Vec<String>,
    pub(super) generation_llms: Vec<String>,
    pub(super) evaluation_llms: Vec<String>,
    /// Replicates per stage (draft, essay, evaluation).
    pub(super) replicates: [i64; 3],
}

pub(super) fn read_inputs(root: &Path) -> Result<Inputs> {
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
pub(super) fn read_replication(root: &Path) -> Result<[i64; 3]> {
    let path = CatalogKind::Replication.layout_path(root);
    let table = read_table(&path, || {
        Error::catalog(Location::file(&path), CatalogErrorKind::NoReplicationFile)
    })?;
    let (Some(stage_col), Some(count_col)) = (table.column("stage"), table.column("replicates"))
    else {
        return Err(Error::catalog(
            Location::line(&path, 1),
            CatalogErrorKind::ReplicationColumns,
        ));
    };
    let mut counts: [Option<i64>; 3] = [None; 3];
    for (line, row) in &table.rows {
        let loc = |col: usize| Location::line_col(&path, *line, col as u64 + 1);
        let stage = Stage::parse(row[stage_col].trim()).ok_or_else(|| {
            Error::catalog(
                loc(stage_col),
                CatalogErrorKind::NotAStage {
                    value: row[stage_col].to_string(),
                },
            )
        })?;
        let count = parse_replicates(&row[count_col]).ok_or_else(|| {
            Error::catalog(
                loc(count_col),
                CatalogErrorKind::NotAReplicateCount {
                    value: row[count_col].to_string(),
                },
            )
        })?;
        counts[stage as usize] = Some(count);
    }
    let mut out = [0i64; 3];
    for stage in Stage::ALL {
        out[stage as usize] = counts[stage as usize].ok_or_else(|| {
            Error::catalog(
                Location::file(&path),
                CatalogErrorKind::NoStageRow {
                    stage: stage.as_str(),
                },
            )
        })?;
    }
    Ok(out)
}

/// A curated list: one gen_id per line, trimmed; blank lines and `#` comments skipped; repeats
/// dropped (the legacy flow allocated new replicates for a repeated id, which no one intended).
pub(super) fn read_list(
    path: &Path,
    notes: &mut Vec<String>,
    shown_path: &str,
) -> Result<Vec<(u64, String)>> {
    let text = crate::fsutil::read_regular(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(text).map_err(|e| {
        Error::data(
            Location::file(path),
            DataErrorKind::NotUtf8 {
                at_byte: Some(e.utf8_error().valid_up_to()),
            },
        )
    })?;
    if text.starts_with('\u{feff}') {
        return Err(Error::data(
            Location::line(path, 1),
            DataErrorKind::ListByteOrderMark {
                kept: ids::py_strip(text.lines().next().unwrap_or_default()).to_string(),
            },
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut repeated = 0;
    for (n, line) in text.lines().enumerate() {
        let id = ids::py_strip(line);
        if id.is_empty() || id.starts_with('#') {
            continue;
        }
        if id.contains(['/', '\\']) || id == "." || id == ".." {
            return Err(Error::data(
                Location::line(path, n as u64 + 1),
                DataErrorKind::NotAFolderName {
                    value: id.to_string(),
                },
            ));
        }
        if seen.insert(id.to_string()) {
            out.push((n as u64 + 1, id.to_string()));
        } else {
            repeated += 1;
        }
    }
    if out.is_empty() {
        return Err(Error::data(Location::file(path), DataErrorKind::EmptyList));
    }
    if repeated > 0 {
        notes.push(format!("{shown_path}: {repeated} repeated id(s) ignored"));
    }
    Ok(out)
}

/// The combos of the Cartesian mode, and what was done to find them.
pub(super) struct Combos {
    pub(super) ids: Vec<String>,
    pub(super) source: String,
    /// The single combo to create: (concepts, level, k_max), when it is not in the file yet.
    pub(super) create: Option<(Vec<String>, String, i64)>,
}

pub(super) fn cartesian_combos(root: &Path, settings: &LegacySettings) -> Result<Combos> {
    let selected = root.join("2_tasks").join("selected_combo_mappings.csv");
    if selected.exists() {
        let table = read_table(&selected, || {
            Error::io(&selected, std::io::ErrorKind::NotFound.into())
        })?;
        let col = table.column("combo_id").ok_or_else(|| {
            Error::data(Location::line(&selected, 1), DataErrorKind::NoComboColumn)
        })?;
        let mut seen = HashSet::new();
        let ids: Vec<String> = table
            .rows
            .iter()
            .map(|(_, row)| row[col].trim().to_string())
            .filter(|id| !id.is_empty() && seen.insert(id.clone()))
            .collect();
        if ids.is_empty() {
            return Err(Error::data(
                Location::file(&selected),
                DataErrorKind::NoComboSelected,
            ));
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
            CatalogErrorKind::NoActiveConcept,
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

/// Refuses an empty active list the mode needs: the legacy flow would have built a cohort
/// without evaluations, which a spec cannot describe.
pub(super) fn require_nonempty(root: &Path, mode: Mode, inputs: &Inputs) -> Result<()> {
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
                CatalogErrorKind::NothingSelected {
                    flag: flag.to_string(),
                },
            ));
        }
    }
    Ok(())
}
