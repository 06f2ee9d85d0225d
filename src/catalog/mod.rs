//! Catalogs: the seven kinds of reference data a cohort draws on, where each lives in the data
//! layout (docs/contract.md), and its append-only identity.
//!
//! Values are text exactly as in the file (D9): no type inference, `01` stays `01`, `None` is
//! an ordinary string. This module owns the kinds and their columns; [`import`] owns writing;
//! [`allowlist`] checks compiled rows against `compile --catalog` files (D8).

pub mod allowlist;
pub mod import;

use std::path::{Path, PathBuf};

use crate::ids::Stage;
use crate::store::queries;

pub use import::{
    ImportReport, KindReport, LegacyFlags, Progress, import_all, import_all_with, import_file,
};

/// One kind of catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CatalogKind {
    /// `1_raw/concepts_metadata.csv` with description texts.
    Concepts,
    /// `1_raw/draft_templates.csv` with bodies.
    DraftTemplates,
    /// `1_raw/essay_templates.csv` with bodies.
    EssayTemplates,
    /// `1_raw/evaluation_templates.csv` with bodies.
    EvaluationTemplates,
    /// `1_raw/llm_models.csv`.
    LlmModels,
    /// `combo_mappings.csv` at the data root.
    ComboMappings,
    /// `1_raw/replication_config.csv`.
    Replication,
}

/// Extra content that comes from files next to the catalog CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attachments {
    /// None.
    None,
    /// A template body: `<csv folder>/templates/<stage>/<template_id>.txt`.
    Body(Stage),
    /// Concept descriptions: `<csv folder>/concepts/descriptions-<level>/<concept_id>.txt`.
    Descriptions,
}

/// The description levels, in the order of their columns.
pub const DESCRIPTION_LEVELS: [&str; 3] = ["sentence", "paragraph", "article"];

/// Selection flags of the legacy layout; a catalog carrying one is refused (D9).
pub const LEGACY_FLAG_COLUMNS: [&str; 3] = ["active", "for_generation", "for_evaluation"];

/// The folder of most catalog files, under the data root.
pub const RAW_DIR: &str = "1_raw";

impl CatalogKind {
    /// Every kind, in the order `import` processes them.
    pub const ALL: [CatalogKind; 7] = [
        CatalogKind::Concepts,
        CatalogKind::DraftTemplates,
        CatalogKind::EssayTemplates,
        CatalogKind::EvaluationTemplates,
        CatalogKind::LlmModels,
        CatalogKind::ComboMappings,
        CatalogKind::Replication,
    ];

    /// The name used on the command line (`cohortdb import KIND FILE`).
    pub fn name(self) -> &'static str {
        match self {
            CatalogKind::Concepts => "concepts",
            CatalogKind::DraftTemplates => "draft-templates",
            CatalogKind::EssayTemplates => "essay-templates",
            CatalogKind::EvaluationTemplates => "evaluation-templates",
            CatalogKind::LlmModels => "llm-models",
            CatalogKind::ComboMappings => "combo-mappings",
            CatalogKind::Replication => "replication",
        }
    }

    /// Parses a command-line kind name; `_` is accepted for `-` (`combo_mappings`, as the
    /// file and the view are named).
    pub fn parse(name: &str) -> Option<CatalogKind> {
        let name = name.replace('_', "-");
        CatalogKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The file's place in the data layout.
    pub fn layout_path(self, data_root: &Path) -> PathBuf {
        let raw = data_root.join(RAW_DIR);
        match self {
            CatalogKind::Concepts => raw.join("concepts_metadata.csv"),
            CatalogKind::DraftTemplates => raw.join("draft_templates.csv"),
            CatalogKind::EssayTemplates => raw.join("essay_templates.csv"),
            CatalogKind::EvaluationTemplates => raw.join("evaluation_templates.csv"),
            CatalogKind::LlmModels => raw.join("llm_models.csv"),
            CatalogKind::ComboMappings => data_root.join("combo_mappings.csv"),
            CatalogKind::Replication => raw.join("replication_config.csv"),
        }
    }

    /// The template stage of a template catalog.
    pub fn stage(self) -> Option<Stage> {
        match self {
            CatalogKind::DraftTemplates => Some(Stage::Draft),
            CatalogKind::EssayTemplates => Some(Stage::Essay),
            CatalogKind::EvaluationTemplates => Some(Stage::Evaluation),
            _ => None,
        }
    }

    /// The key columns read from the file (the append-only identity; templates add the stage).
    /// A key column a file may lack ([`CatalogKind::required_columns`]) reads as empty.
    pub fn key_columns(self) -> &'static [&'static str] {
        match self {
            CatalogKind::Concepts => &["concept_id"],
            CatalogKind::DraftTemplates
            | CatalogKind::EssayTemplates
            | CatalogKind::EvaluationTemplates => &["template_id"],
            CatalogKind::LlmModels => &["id"],
            CatalogKind::ComboMappings => &["combo_id", "concept_id"],
            CatalogKind::Replication => &["stage"],
        }
    }

    /// The columns a file must have: what the reference reads of it (docs/decisions.md D9;
    /// docs/reference.md §3.3, §3.7, §3.16). Every key column but `concept_id`: the cohort
    /// build reads only `combo_id` of `combo_mappings.csv`, and two of the reference's own tests
    /// import a file with that one column. `replicates` too: the reference refuses a
    /// `replication_config.csv` without it (`replication_config_missing`).
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            CatalogKind::ComboMappings => &["combo_id"],
            CatalogKind::Replication => &["stage", "replicates"],
            other => other.key_columns(),
        }
    }

    /// The other columns the store knows, in their table order. A file may omit any of them
    /// (it reads as empty); columns beyond these are kept as extras.
    pub fn content_columns(self) -> &'static [&'static str] {
        match self {
            CatalogKind::Concepts => &["name"],
            CatalogKind::DraftTemplates
            | CatalogKind::EssayTemplates
            | CatalogKind::EvaluationTemplates => {
                &["template_name", "description", "parser", "generator"]
            }
            CatalogKind::LlmModels => &["model", "provider", "display_name", "specialization"],
            CatalogKind::ComboMappings => &["version", "description_level", "k_max", "created_at"],
            CatalogKind::Replication => &["replicates"],
        }
    }

    /// The name used in messages and reports (`draft templates`, `llm_models`…).
    pub fn label(self) -> &'static str {
        match self {
            CatalogKind::Concepts => "concepts",
            CatalogKind::DraftTemplates => "draft templates",
            CatalogKind::EssayTemplates => "essay templates",
            CatalogKind::EvaluationTemplates => "evaluation templates",
            CatalogKind::LlmModels => "llm models",
            CatalogKind::ComboMappings => "combo mappings",
            CatalogKind::Replication => "replication",
        }
    }

    /// Whether key values name files (bodies, descriptions), so they must be plain file names.
    pub(crate) fn keys_are_file_names(self) -> bool {
        !matches!(self.attachments(), Attachments::None)
    }

    pub(crate) fn attachments(self) -> Attachments {
        match self {
            CatalogKind::Concepts => Attachments::Descriptions,
            _ => match self.stage() {
                Some(stage) => Attachments::Body(stage),
                None => Attachments::None,
            },
        }
    }

    /// Names of the attachment columns, for messages.
    pub(crate) fn attachment_names(self) -> &'static [&'static str] {
        match self.attachments() {
            Attachments::None => &[],
            Attachments::Body(_) => &["body"],
            Attachments::Descriptions => &[
                "description (sentence)",
                "description (paragraph)",
                "description (article)",
            ],
        }
    }

    pub(crate) fn insert_sql(self) -> &'static str {
        match self {
            CatalogKind::Concepts => queries::CATALOG_CONCEPTS_INSERT,
            CatalogKind::DraftTemplates
            | CatalogKind::EssayTemplates
            | CatalogKind::EvaluationTemplates => queries::CATALOG_TEMPLATES_INSERT,
            CatalogKind::LlmModels => queries::CATALOG_LLM_MODELS_INSERT,
            CatalogKind::ComboMappings => queries::CATALOG_COMBO_MAPPINGS_INSERT,
            CatalogKind::Replication => queries::CATALOG_REPLICATION_INSERT,
        }
    }

    pub(crate) fn select_sql(self) -> &'static str {
        match self {
            CatalogKind::Concepts => queries::CATALOG_CONCEPTS_SELECT,
            CatalogKind::DraftTemplates
            | CatalogKind::EssayTemplates
            | CatalogKind::EvaluationTemplates => queries::CATALOG_TEMPLATES_SELECT,
            CatalogKind::LlmModels => queries::CATALOG_LLM_MODELS_SELECT,
            CatalogKind::ComboMappings => queries::CATALOG_COMBO_MAPPINGS_SELECT,
            CatalogKind::Replication => queries::CATALOG_REPLICATION_SELECT,
        }
    }
}

impl std::fmt::Display for CatalogKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_their_names() {
        for kind in CatalogKind::ALL {
            assert_eq!(CatalogKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(CatalogKind::parse("templates"), None);
        assert_eq!(
            CatalogKind::parse("combo_mappings"),
            Some(CatalogKind::ComboMappings)
        );
    }
}
