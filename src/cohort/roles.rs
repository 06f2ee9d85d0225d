//! The fields a cohort reads from each design row (semantics §3.4): seven text roles, each the
//! first of its candidate columns that is present and non-empty, and three replicate indices.

use crate::catalog::CatalogKind;
use crate::ids::Stage;

/// A text field of a plan entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRole {
    /// The primary column name (what errors call the field).
    pub name: &'static str,
    /// Candidate columns in priority order (the primary first).
    pub candidates: &'static [&'static str],
    /// What the catalog check calls this kind of id.
    pub label: &'static str,
}

/// The seven text roles, in `temp.design` column order (their index is the `role` of
/// `temp.role_text`).
pub const TEXT_ROLES: [TextRole; 7] = [
    TextRole {
        name: "combo_id",
        candidates: &["combo_id", "combo"],
        label: "combos",
    },
    TextRole {
        name: "draft_template",
        candidates: &["draft_template"],
        label: "draft templates",
    },
    TextRole {
        name: "draft_llm",
        candidates: &["draft_llm", "draft_model", "generation_llm"],
        label: "draft LLMs",
    },
    TextRole {
        name: "essay_template",
        candidates: &["essay_template"],
        label: "essay templates",
    },
    TextRole {
        name: "essay_llm",
        candidates: &["essay_llm"],
        label: "essay LLMs",
    },
    TextRole {
        name: "evaluation_template",
        candidates: &["evaluation_template"],
        label: "evaluation templates",
    },
    TextRole {
        name: "evaluation_llm",
        candidates: &["evaluation_llm"],
        label: "evaluation LLMs",
    },
];

/// Role indices.
pub const COMBO: usize = 0;
/// Draft template role.
pub const DRAFT_TEMPLATE: usize = 1;
/// Draft LLM role.
pub const DRAFT_LLM: usize = 2;
/// Essay template role.
pub const ESSAY_TEMPLATE: usize = 3;
/// Essay LLM role.
pub const ESSAY_LLM: usize = 4;
/// Evaluation template role.
pub const EVALUATION_TEMPLATE: usize = 5;
/// Evaluation LLM role.
pub const EVALUATION_LLM: usize = 6;

/// The replicate columns of each stage, in priority order (semantics §3.4).
pub const REPLICATE_CANDIDATES: [(Stage, &[&str]); 3] = [
    (
        Stage::Draft,
        &["draft_replicate", "draft_template_replicate", "draft_rep"],
    ),
    (
        Stage::Essay,
        &["essay_replicate", "essay_template_replicate", "essay_rep"],
    ),
    (
        Stage::Evaluation,
        &[
            "evaluation_replicate",
            "evaluation_template_replicate",
            "evaluation_llm_replicate",
            "evaluation_rep",
        ],
    ),
];

/// The template catalog of a template role.
pub fn template_stage(role: usize) -> Option<Stage> {
    match role {
        DRAFT_TEMPLATE => Some(Stage::Draft),
        ESSAY_TEMPLATE => Some(Stage::Essay),
        EVALUATION_TEMPLATE => Some(Stage::Evaluation),
        _ => None,
    }
}

/// The catalog a role's ids must exist in.
pub fn catalog_of(role: usize) -> CatalogKind {
    match role {
        COMBO => CatalogKind::ComboMappings,
        DRAFT_TEMPLATE => CatalogKind::DraftTemplates,
        ESSAY_TEMPLATE => CatalogKind::EssayTemplates,
        EVALUATION_TEMPLATE => CatalogKind::EvaluationTemplates,
        _ => CatalogKind::LlmModels,
    }
}

/// The literal essay LLM of copy-mode essays, always accepted (semantics §8 Q-NONE, D16).
pub const NONE_ESSAY_LLM: &str = "None";
