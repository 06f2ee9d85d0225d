//! Data files other than catalogs and specs — a membership.csv, a metadata.json, a curated
//! list, a legacy task file — that cannot be read (`Error::Data`).

use crate::error::Location;
use crate::ids::Stage;

/// Why a metadata file could not be read as metadata.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    /// Not JSON.
    #[error("not valid JSON ({0})")]
    Json(String),
    /// JSON that starts with a byte order mark, which JSON does not allow; the reference's
    /// `json.load` refused it too (docs/decisions.md D20).
    #[error(
        "not valid JSON: it starts with a byte order mark (U+FEFF), which the reference's JSON \
         reader refused too (D20)"
    )]
    ByteOrderMark,
    /// JSON, but not an object.
    #[error("not a JSON object")]
    NotObject,
    /// `replicate` is neither missing, null, a number, a boolean, nor text Python's `int()` reads.
    #[error("\"replicate\" is {0}, not an integer")]
    Replicate(String),
    /// A JSON object without fields its stage's signature needs (missing, null or empty).
    #[error(
        "valid JSON, but without {} (missing, null or empty), which the signature of its stage needs",
        .0.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(", ")
    )]
    MissingFields(Vec<&'static str>),
}

impl MetaError {
    /// Why `bytes` did not parse as JSON: [`MetaError::ByteOrderMark`] when they start with a
    /// BOM, else serde_json's error.
    pub fn json(bytes: &[u8], error: &serde_json::Error) -> MetaError {
        if bytes.starts_with(crate::textfmt::BOM) {
            MetaError::ByteOrderMark
        } else {
            MetaError::Json(error.to_string())
        }
    }
}

/// A data file problem at `loc`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{loc}: {kind}")]
pub struct DataError {
    /// Where.
    pub loc: Location,
    /// What.
    pub kind: DataErrorKind,
}

/// A curated list's line naming a gen_id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListLine {
    /// The list file as named.
    pub list: String,
    /// The 1-based line.
    pub line: u64,
}

impl std::fmt::Display for ListLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.list, self.line)
    }
}

/// Each data file problem. Kinds named after the legacy flow's own error codes keep the code
/// in their text (`draft_metadata_missing`, …; docs/reference.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataErrorKind {
    /// membership.csv lacks `stage` or `gen_id`.
    #[error("membership.csv missing columns: {columns:?}")]
    MissingColumns {
        /// The missing columns.
        columns: Vec<&'static str>,
    },
    /// A stage that is not draft, essay or evaluation.
    #[error("unknown stage {value:?} (expected draft, essay or evaluation)")]
    UnknownStage {
        /// The value.
        value: String,
    },
    /// An empty gen_id.
    #[error("missing value for {}.gen_id", stage.as_str())]
    EmptyGenId {
        /// The row's stage.
        stage: Stage,
    },
    /// A gen_id that would leave `gens/<stage>/`.
    #[error("gen_id {value:?} is not a folder name under gens/")]
    NotAFolderName {
        /// The gen_id.
        value: String,
    },
    /// A member's metadata.json does not exist.
    #[error("metadata missing for {} gen_id {gen_id} (membership.csv line {line})", stage.as_str())]
    MetadataMissing {
        /// The member's stage.
        stage: Stage,
        /// Its gen_id.
        gen_id: String,
        /// Its membership.csv line.
        line: u64,
    },
    /// A metadata.json that is not metadata.
    #[error("{source}")]
    Metadata {
        /// Why.
        source: MetaError,
    },
    /// A metadata field a member needs is absent.
    #[error("no {key:?} value (membership.csv line {line})")]
    NoValue {
        /// The field.
        key: &'static str,
        /// The member's membership.csv line.
        line: u64,
    },
    /// A member's parent is not in the membership.
    #[error(
        "{} {gen_id} (membership.csv line {line}): its parent {} {parent} is not in the membership",
        stage.as_str(),
        parent_stage.as_str()
    )]
    ParentNotListed {
        /// The member's stage.
        stage: Stage,
        /// Its gen_id.
        gen_id: String,
        /// Its membership.csv line.
        line: u64,
        /// The parent's stage.
        parent_stage: Stage,
        /// The parent's gen_id.
        parent: String,
    },
    /// A membership without evaluations.
    #[error(
        "cohort has no evaluation rows; a migrated spec describes evaluations with their essays \
         and drafts"
    )]
    NoEvaluations,
    /// A CSV quoted field never closed.
    #[error("a quoted field is never closed (unterminated quote)")]
    UnterminatedQuote,
    /// Text that is not UTF-8.
    #[error("not valid UTF-8{}", at_byte.map(|b| format!(" (at byte {b})")).unwrap_or_default())]
    NotUtf8 {
        /// The first invalid byte's offset, when known.
        at_byte: Option<usize>,
    },
    /// A CSV file without a header line.
    #[error("no header line")]
    NoHeader,
    /// A curated list without ids.
    #[error("lists no gen_id")]
    EmptyList,
    /// A curated list that starts with a byte order mark (docs/decisions.md D20).
    #[error(
        "the list starts with a byte order mark (U+FEFF): the legacy flow kept it as part of \
         the first id, {}, and found no metadata for it (D20); save the file as UTF-8 without \
         a BOM",
        crate::textfmt::capped_debug(kept)
    )]
    ListByteOrderMark {
        /// The first line as the legacy flow read it, the BOM included.
        kept: String,
    },
    /// `selected_combo_mappings.csv` without a `combo_id` column.
    #[error("no \"combo_id\" column")]
    NoComboColumn,
    /// `selected_combo_mappings.csv` selecting nothing.
    #[error("selects no combo")]
    NoComboSelected,
    /// Both curated lists exist.
    #[error(
        "both selected_essays.txt and selected_drafts.txt exist (multiple_curated_inputs); the \
         legacy flow refused this too — keep one"
    )]
    BothCuratedLists,
    /// A curated draft's metadata lacks fields.
    #[error("missing_draft_metadata: no value for {fields:?}")]
    MissingDraftMetadata {
        /// The fields.
        fields: Vec<&'static str>,
    },
    /// A curated draft without metadata.
    #[error("draft_metadata_missing: draft {id} ({at}) has no metadata")]
    DraftMetadataMissing {
        /// The draft's gen_id.
        id: String,
        /// Its line in the list.
        at: ListLine,
    },
    /// A curated essay without metadata.
    #[error("essay_metadata_missing: essay {id} ({at}) has no metadata")]
    EssayMetadataMissing {
        /// The essay's gen_id.
        id: String,
        /// Its line in the list.
        at: ListLine,
    },
    /// A curated "essay" that is a draft.
    #[error("curated_essay_is_draft: {id} ({at}) is a draft, not an essay")]
    CuratedEssayIsDraft {
        /// The gen_id.
        id: String,
        /// Its line in the list.
        at: ListLine,
    },
    /// A curated essay's draft without metadata.
    #[error("draft_parent_metadata_missing: the draft {parent} of essay {essay} has no metadata")]
    ParentMetadataMissing {
        /// The draft's gen_id.
        parent: String,
        /// The essay's gen_id.
        essay: String,
    },
    /// A curated essay's metadata lacks a field (`essay_missing_template`, `essay_missing_parent`).
    #[error("{code}: {field}: no value")]
    EssayMissing {
        /// The legacy flow's error code.
        code: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A curated essay's draft lacks what its tasks need.
    #[error("missing_metadata_for_tasks of essay {essay}: no value for {fields:?}")]
    MissingTaskMetadata {
        /// The essay's gen_id.
        essay: String,
        /// The fields.
        fields: Vec<&'static str>,
    },
}

impl DataErrorKind {
    /// The offending value, when the kind names one.
    pub fn value(&self) -> Option<String> {
        match self {
            DataErrorKind::UnknownStage { value } | DataErrorKind::NotAFolderName { value } => {
                Some(value.clone())
            }
            DataErrorKind::MetadataMissing { gen_id, .. }
            | DataErrorKind::ParentNotListed { gen_id, .. } => Some(gen_id.clone()),
            DataErrorKind::DraftMetadataMissing { id, .. }
            | DataErrorKind::EssayMetadataMissing { id, .. }
            | DataErrorKind::CuratedEssayIsDraft { id, .. } => Some(id.clone()),
            _ => None,
        }
    }
}
