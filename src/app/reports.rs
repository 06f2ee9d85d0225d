//! The report of every command: one shape, serialised by the CLI's `--format json` and turned
//! into Python objects by the Python package — the same document both ways, described by the
//! JSON Schemas under `docs/schema/` (validated in both test suites).
//!
//! Where a module's own report already has that shape it is re-exported as is (`export`,
//! `status`, `show`, `diff`, the results ledger's); the others are assembled here from the modules' typed results.

use std::path::PathBuf;

use serde::Serialize;

use crate::catalog;
use crate::cohort::{self, BuildStatus};
use crate::show::StageCounts;
use crate::verify::{self, Finding, Severity};

pub use crate::diff::DiffReport;
pub use crate::export::ExportReport;
pub use crate::results::{
    EvaluationRow, FileChange, ImportGensReport, Imported, MembershipSource, ProgressReport,
    ResultsVerifyReport, ScoresReport, StageProgress,
};
pub use crate::show::ShowReport;
pub use crate::status::StatusReport;

/// `init` (docs/schema/init.schema.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitReport {
    /// The store.
    pub store: String,
    /// Its schema version.
    pub schema_version: u32,
    /// The project file in use or written (`cohortdb.yaml`), if any.
    pub project: Option<String>,
    /// The folders and files `init` created (the store itself is `store`).
    pub created: Vec<String>,
    /// The starter catalogs' files `init` wrote into a new project (empty when it wrote none).
    pub starter_files: Vec<String>,
    /// The import of the starter catalogs, when `init` wrote them.
    pub imported: Option<ImportReport>,
}

/// One catalog file of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedFile {
    /// The catalog kind (`concepts`, `draft-templates`, …).
    pub kind: &'static str,
    /// The file, as named to the user.
    pub path: String,
    /// False when the file does not exist (every catalog file is optional).
    pub present: bool,
    /// Rows added.
    pub added: u64,
    /// Rows already stored with identical content.
    pub unchanged: u64,
    /// The import batch recorded for the added rows, if any.
    pub batch_id: Option<i64>,
    /// Things worth knowing (orphan body files), one line each.
    pub warnings: Vec<String>,
}

/// `import` (docs/schema/import.schema.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Rows added, over every file.
    pub added: u64,
    /// One entry per catalog file considered, in the layout's order.
    pub files: Vec<ImportedFile>,
}

impl ImportReport {
    /// How many batches were recorded (one per file that added rows).
    pub fn batches(&self) -> usize {
        self.files.iter().filter(|f| f.batch_id.is_some()).count()
    }

    /// The catalog kind's label for text (`draft templates`) of a file of this report.
    pub fn label(kind: &str) -> &'static str {
        catalog::CatalogKind::parse(kind).map_or("catalog", catalog::CatalogKind::label)
    }
}

impl From<catalog::ImportReport> for ImportReport {
    fn from(report: catalog::ImportReport) -> Self {
        ImportReport {
            added: report.added(),
            files: report
                .files
                .into_iter()
                .map(|f| ImportedFile {
                    kind: f.kind.name(),
                    path: f.path,
                    present: f.present,
                    added: f.added,
                    unchanged: f.unchanged,
                    batch_id: f.batch_id,
                    warnings: f.warnings,
                })
                .collect(),
        }
    }
}

/// `build` (docs/schema/build.schema.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildReport {
    /// The cohort.
    pub cohort_id: String,
    /// `created` (a new record was written) or `unchanged` (same content hash; nothing
    /// written).
    pub status: BuildOutcome,
    /// For `unchanged`: the spec files differ from the stored bundle only in formatting.
    pub formatting_only: bool,
    /// Members per stage.
    pub counts: StageCounts,
    /// The hash scheme (`cohortdb-v1`).
    pub hash_scheme: &'static str,
    /// The content hash (hex).
    pub content_hash: String,
}

/// What a build did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildOutcome {
    /// A new record was written.
    Created,
    /// A record with the same content hash exists; nothing was written.
    Unchanged,
}

impl From<cohort::BuildReport> for BuildReport {
    fn from(report: cohort::BuildReport) -> Self {
        let (status, formatting_only) = match report.status {
            BuildStatus::Created => (BuildOutcome::Created, false),
            BuildStatus::Unchanged { formatting_only } => {
                (BuildOutcome::Unchanged, formatting_only)
            }
        };
        BuildReport {
            cohort_id: report.cohort_id,
            status,
            formatting_only,
            counts: report.counts.into(),
            hash_scheme: crate::record::SCHEME,
            content_hash: report.content_hash,
        }
    }
}

/// A verify finding: its severity and the sentence the CLI prints, beside its typed fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingReport {
    /// `ok`, `note` or `difference`.
    pub severity: Severity,
    /// The finding as one sentence (the CLI's line).
    pub text: String,
    /// Lines that explain it further (the CLI prints them below the sentence; in the document
    /// they are the finding's own `detail` field where it has one).
    #[serde(skip)]
    pub detail: Vec<String>,
    /// The finding's kind and fields (`kind`, `file`, `expected`, …).
    #[serde(flatten)]
    pub finding: Finding,
}

/// One cohort's verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CohortVerification {
    /// The cohort.
    pub cohort_id: String,
    /// True when nothing differs.
    pub matches: bool,
    /// Every check, in order.
    pub findings: Vec<FindingReport>,
}

impl From<verify::VerifyReport> for CohortVerification {
    fn from(report: verify::VerifyReport) -> Self {
        CohortVerification {
            matches: report.matches(),
            cohort_id: report.cohort_id,
            findings: report
                .findings
                .into_iter()
                .map(|finding| FindingReport {
                    severity: finding.severity(),
                    text: finding.to_string(),
                    detail: finding.detail().to_vec(),
                    finding,
                })
                .collect(),
        }
    }
}

/// A cohort `verify --all` could not check (the others were still checked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyFailure {
    /// The cohort.
    pub cohort_id: String,
    /// The error, as one line.
    pub error: String,
}

/// `verify` (docs/schema/verify.schema.json): one cohort, or every stored cohort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// True when every cohort matches and none failed (the CLI's exit 0).
    pub matches: bool,
    /// One entry per cohort checked.
    pub cohorts: Vec<CohortVerification>,
    /// The cohorts that could not be checked (`--all` only; a single cohort's error is raised).
    pub errors: Vec<VerifyFailure>,
}

/// One stored cohort in `cohorts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CohortSummary {
    /// The cohort.
    pub cohort_id: String,
    /// Its content hash.
    pub content_hash: String,
    /// Members per stage.
    pub counts: StageCounts,
    /// When it was built (RFC 3339, UTC).
    pub created_at: String,
}

/// `cohorts` (docs/schema/cohorts.schema.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CohortsReport {
    /// The stored cohorts, by id.
    pub cohorts: Vec<CohortSummary>,
}

impl From<Vec<crate::record::Summary>> for CohortsReport {
    fn from(list: Vec<crate::record::Summary>) -> Self {
        CohortsReport {
            cohorts: list
                .into_iter()
                .map(|c| CohortSummary {
                    cohort_id: c.cohort_id,
                    content_hash: c.content_hash,
                    counts: c.counts.into(),
                    created_at: c.created_at,
                })
                .collect(),
        }
    }
}

/// `backup` (docs/schema/backup.schema.json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupReport {
    /// The new file.
    pub dest: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its schema version.
    pub schema_version: u32,
    /// How many cohorts it holds.
    pub cohorts: u64,
}

impl From<crate::store::backup::BackupReport> for BackupReport {
    fn from(r: crate::store::backup::BackupReport) -> Self {
        BackupReport {
            dest: r.dest,
            bytes: r.bytes,
            schema_version: r.schema_version,
            cohorts: r.cohorts,
        }
    }
}

/// A declared axis in `explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeclaredAxis {
    /// The axis.
    pub axis: String,
    /// Its distinct levels.
    pub levels: usize,
    /// Levels written more than once (the compiler keeps the first).
    pub duplicates: usize,
    /// The tuple rule that binds a derived axis.
    pub derived_from: Option<String>,
    /// Where it is declared (YAML path).
    pub at: Option<String>,
}

/// An axis and its level count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AxisLevels {
    /// The axis.
    pub axis: String,
    /// Its levels.
    pub levels: usize,
}

/// One rule's effect in `explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplainStep {
    /// The rule (`pair draft_essay`).
    pub rule: String,
    /// Where it is written (YAML path).
    pub at: Option<String>,
    /// The axes the rule created or changed, with their level counts after it.
    pub changed: Vec<AxisLevels>,
    /// The axes the rule consumed.
    pub removed: Vec<String>,
    /// Axes after the rule.
    pub axis_count: usize,
    /// Rows after the rule.
    pub rows: u128,
}

/// An axis of the final product in `explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductAxis {
    /// `axis`, `tie`, `pair` or `tuple`: what made it.
    pub kind: &'static str,
    /// The axis.
    pub axis: String,
    /// Its levels.
    pub levels: usize,
}

/// `explain` (docs/schema/explain.schema.json): the plan step by step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplainReport {
    /// The spec's config file.
    pub spec: String,
    /// The axes as declared.
    pub declared: Vec<DeclaredAxis>,
    /// The product of the declared axes.
    pub rows_before_rules: u128,
    /// Each rule in application order (D3).
    pub steps: Vec<ExplainStep>,
    /// The final axes, the last varying fastest.
    pub product: Vec<ProductAxis>,
    /// The rows the spec compiles to.
    pub rows: u128,
    /// The output columns.
    pub columns: Vec<String>,
}

/// `push` and `pull` (docs/schema/copy.schema.json): what a copy between two stores did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    /// The store copied from (a path, or a team store's URL without its password).
    pub from: String,
    /// The store copied to.
    pub to: String,
    /// Cohorts written to the target, in the order they were (those named, and the cohorts
    /// their gen_ids' lower collision indices depend on).
    pub copied: Vec<String>,
    /// Cohorts the target already held with the same content hash (left alone).
    pub present: Vec<String>,
    /// Catalog rows carried.
    pub catalog_rows: u64,
}
