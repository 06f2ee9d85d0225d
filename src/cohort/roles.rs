//! The fields a cohort reads from each design row (docs/reference.md §3.4): seven text roles, each
//! the first of its candidate columns that is present and non-empty, and three replicate indices.

use crate::catalog::CatalogKind;
use crate::ids::{Role, Stage};

/// A text field of a plan entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRole {
    /// The primary column name (what errors call the field).
    pub name: &'static str,
    /// Candidate columns in priority order (the primary first).
    pub candidates: &'static [&'static str],
    /// What the catalog check calls this kind of id.
    pub label: &'static str,
    /// Its column in `temp.design`.
    pub column: &'static str,
}

/// The seven text roles, in [`Role`] order (`TEXT_ROLES[role.index()]` describes `role`).
pub const TEXT_ROLES: [TextRole; 7] = [
    TextRole {
        name: "combo_id",
        candidates: &["combo_id", "combo"],
        label: "combos",
        column: "combo",
    },
    TextRole {
        name: "draft_template",
        candidates: &["draft_template"],
        label: "draft templates",
        column: "draft_template",
    },
    TextRole {
        name: "draft_llm",
        candidates: &["draft_llm", "draft_model", "generation_llm"],
        label: "draft LLMs",
        column: "draft_llm",
    },
    TextRole {
        name: "essay_template",
        candidates: &["essay_template"],
        label: "essay templates",
        column: "essay_template",
    },
    TextRole {
        name: "essay_llm",
        candidates: &["essay_llm"],
        label: "essay LLMs",
        column: "essay_llm",
    },
    TextRole {
        name: "evaluation_template",
        candidates: &["evaluation_template"],
        label: "evaluation templates",
        column: "evaluation_template",
    },
    TextRole {
        name: "evaluation_llm",
        candidates: &["evaluation_llm"],
        label: "evaluation LLMs",
        column: "evaluation_llm",
    },
];

/// The replicate columns of each stage, in priority order (docs/reference.md §3.4).
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

/// The description of a role.
pub fn text_role(role: Role) -> &'static TextRole {
    &TEXT_ROLES[role.index()]
}

/// The catalog a role's ids must exist in.
pub fn catalog_of(role: Role) -> CatalogKind {
    match role {
        Role::Combo => CatalogKind::ComboMappings,
        Role::DraftTemplate => CatalogKind::DraftTemplates,
        Role::EssayTemplate => CatalogKind::EssayTemplates,
        Role::EvaluationTemplate => CatalogKind::EvaluationTemplates,
        Role::DraftLlm | Role::EssayLlm | Role::EvaluationLlm => CatalogKind::LlmModels,
    }
}

/// The literal essay LLM of copy-mode essays, always accepted (docs/reference.md §8 Q-NONE, D16).
pub const NONE_ESSAY_LLM: &str = "None";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_described_in_order() {
        for role in Role::ALL {
            let described = text_role(role);
            assert_eq!(described.candidates[0], described.name, "{role:?}");
        }
        assert_eq!(text_role(Role::EssayLlm).column, "essay_llm");
        assert_eq!(catalog_of(Role::EvaluationLlm), CatalogKind::LlmModels);
        assert_eq!(catalog_of(Role::EssayTemplate), CatalogKind::EssayTemplates);
    }
}
