//! The normalised evaluation-scores table (docs/reference.md, "Results" §4-§6): one row per
//! evaluation gen_id of the cohort, assembled from the ledger's facts of the evaluation, its
//! essay and that essay's draft, with the raw-copied columns typed as pandas types them.

use rusqlite::Connection;

use crate::error::{DbContext, Result, ResultsError};
use crate::store::queries;

/// The columns, in order (§6.1).
pub const COLUMNS: [&str; 15] = [
    "gen_id",
    "parent_gen_id",
    "evaluation_template",
    "evaluation_llm_model",
    "score",
    "error",
    "evaluation_response_path",
    "combo_id",
    "draft_template",
    "generation_template",
    "generation_model",
    "origin_cohort_id",
    "generation_response_path",
    "input_mode",
    "copied_from",
];

/// One row, each cell as the CSV writes it (an empty string for a missing value).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EvaluationRow {
    /// The evaluation.
    pub gen_id: String,
    /// Its essay, when its metadata names one.
    pub parent_gen_id: String,
    /// The evaluation metadata's `template_id`, raw.
    pub evaluation_template: String,
    /// The evaluation metadata's `llm_model_id`, raw.
    pub evaluation_llm_model: String,
    /// Python's repr of the score (`7.0`, `inf`), empty when none.
    pub score: String,
    /// `missing parsed.txt`, `Invalid parsed.txt: …`, or empty.
    pub error: String,
    /// The resolved absolute path of the evaluation's parsed.txt.
    pub evaluation_response_path: String,
    /// combo_id (draft, else evaluation).
    pub combo_id: String,
    /// draft template (draft, else evaluation).
    pub draft_template: String,
    /// The essay's template.
    pub generation_template: String,
    /// The essay's model, else the draft's.
    pub generation_model: String,
    /// The evaluation metadata's origin_cohort_id.
    pub origin_cohort_id: String,
    /// The resolved absolute path of the essay's parsed.txt (when it names one).
    pub generation_response_path: String,
    /// raw_metadata.json `input_mode`, raw.
    pub input_mode: String,
    /// raw_metadata.json `copied_from`, raw.
    pub copied_from: String,
}

impl EvaluationRow {
    /// The cells in column order.
    pub fn cells(&self) -> [&str; 15] {
        [
            &self.gen_id,
            &self.parent_gen_id,
            &self.evaluation_template,
            &self.evaluation_llm_model,
            &self.score,
            &self.error,
            &self.evaluation_response_path,
            &self.combo_id,
            &self.draft_template,
            &self.generation_template,
            &self.generation_model,
            &self.origin_cohort_id,
            &self.generation_response_path,
            &self.input_mode,
            &self.copied_from,
        ]
    }
}

/// A raw cell as the ledger stores it.
#[derive(Debug, Clone, Default)]
struct Raw {
    kind: Option<String>,
    text: Option<String>,
    float: Option<String>,
}

/// How pandas types one raw-copied column over all rows (§6.2): it only matters whether ints
/// print in float form (`3.0`), which happens when the column holds ints and otherwise only
/// floats, NaN or missing values, and not only ints.
#[derive(Debug, Clone, Copy, Default)]
pub struct ColumnKinds {
    ints: u64,
    numeric_or_missing: u64,
    gaps: u64,
    rows: u64,
}

impl ColumnKinds {
    fn add(&mut self, kind: Option<&str>) {
        self.rows += 1;
        match kind {
            Some("int") => {
                self.ints += 1;
                self.numeric_or_missing += 1;
            }
            None | Some("float") => {
                self.numeric_or_missing += 1;
                self.gaps += 1;
            }
            _ => {}
        }
    }

    /// True when ints print as floats.
    fn float_form(&self) -> bool {
        self.ints > 0 && self.numeric_or_missing == self.rows && self.gaps > 0
    }

    fn render(&self, raw: &Raw) -> String {
        if self.float_form() && raw.kind.as_deref() == Some("int") {
            return raw.float.clone().unwrap_or_default();
        }
        raw.text.clone().unwrap_or_default()
    }
}

/// The typing of the four raw-copied columns.
#[derive(Debug, Clone, Copy, Default)]
pub struct Typing {
    template: ColumnKinds,
    llm: ColumnKinds,
    input_mode: ColumnKinds,
    copied_from: ColumnKinds,
}

/// One member's facts from the ledger (`sql/results_score_materials.sql`).
#[derive(Debug, Clone, Default)]
struct Materials {
    gen_id: String,
    e_folder: Option<String>,
    e_refusal: Option<String>,
    e_raw_meta_refusal: Option<String>,
    e_parent: Option<String>,
    e_combo: Option<String>,
    e_draft_template: Option<String>,
    template: Raw,
    llm: Raw,
    origin: Option<String>,
    score_text: Option<String>,
    score_error: Option<String>,
    input_mode: Raw,
    copied_from: Raw,
    s_refusal: Option<String>,
    s_template: Option<String>,
    s_llm: Option<String>,
    s_parent: Option<String>,
    d_refusal: Option<String>,
    d_nonempty: bool,
    d_combo: Option<String>,
    d_template: Option<String>,
    d_llm: Option<String>,
}

/// The columns of `sql/results_score_materials.sql`, in order: rows are read by position
/// (checked against the statement's own names once per run, [`each`]).
const MATERIAL_COLUMNS: [&str; 34] = [
    "ordinal",
    "gen_id",
    "e_folder",
    "e_refusal",
    "e_raw_meta_refusal",
    "e_parent",
    "e_combo",
    "e_draft_template",
    "eval_template_kind",
    "eval_template",
    "eval_template_f",
    "eval_llm_kind",
    "eval_llm",
    "eval_llm_f",
    "origin_cohort_id",
    "score_text",
    "score_error",
    "input_mode_kind",
    "input_mode",
    "input_mode_f",
    "copied_from_kind",
    "copied_from",
    "copied_from_f",
    "s_folder",
    "s_refusal",
    "s_template",
    "s_llm",
    "s_parent",
    "d_folder",
    "d_refusal",
    "d_nonempty",
    "d_combo",
    "d_template",
    "d_llm",
];

/// A raw cell: its kind, text and float form at `at`, `at + 1`, `at + 2`.
fn raw(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Raw> {
    Ok(Raw {
        kind: r.get(at)?,
        text: r.get(at + 1)?,
        float: r.get(at + 2)?,
    })
}

fn materials(r: &rusqlite::Row<'_>) -> rusqlite::Result<Materials> {
    Ok(Materials {
        gen_id: r.get(1)?,
        e_folder: r.get(2)?,
        e_refusal: r.get(3)?,
        e_raw_meta_refusal: r.get(4)?,
        e_parent: r.get(5)?,
        e_combo: r.get(6)?,
        e_draft_template: r.get(7)?,
        template: raw(r, 8)?,
        llm: raw(r, 11)?,
        origin: r.get(14)?,
        score_text: r.get(15)?,
        score_error: r.get(16)?,
        input_mode: raw(r, 17)?,
        copied_from: raw(r, 20)?,
        s_refusal: r.get(24)?,
        s_template: r.get(25)?,
        s_llm: r.get(26)?,
        s_parent: r.get(27)?,
        d_refusal: r.get(29)?,
        d_nonempty: r.get::<_, Option<bool>>(30)?.unwrap_or(false),
        d_combo: r.get(31)?,
        d_template: r.get(32)?,
        d_llm: r.get(33)?,
    })
}

/// True when `id` is one folder name (so `gens/<stage>/<id>/` stays below the stage folder).
pub fn is_folder_name(id: &str) -> bool {
    !id.is_empty() && id != "." && id != ".." && !id.contains(['/', '\0'])
}

/// Where the rows come from and go to.
pub struct Source<'a> {
    /// The cohort (for messages).
    pub cohort: &'a str,
    /// The evaluation gen_ids, in membership order, as a JSON array.
    pub members_json: String,
    /// The resolved gens root, for the path cells and messages.
    pub gens_root: &'a str,
}

/// Streams the materials of every member through `f`.
fn each(
    conn: &Connection,
    source: &Source<'_>,
    mut f: impl FnMut(Materials) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn
        .prepare(queries::RESULTS_SCORE_MATERIALS)
        .db("results_score_materials")?;
    if !stmt.column_names().eq(MATERIAL_COLUMNS) {
        return Err(crate::Error::internal(
            "results_score_materials.sql returns the columns results::table reads",
            format!("{:?}", stmt.column_names().collect::<Vec<_>>()),
        ));
    }
    let mut rows = stmt
        .query([&source.members_json])
        .db("results_score_materials")?;
    while let Some(r) = rows.next().db("results_score_materials")? {
        f(materials(r).db("results_score_materials")?)?;
    }
    Ok(())
}

/// The first reason the reference would abort on this member (in its read order, §8), if any.
fn refusal(m: &Materials, source: &Source<'_>) -> Result<()> {
    let abort = |stored: &str| -> crate::Error {
        let (file, why) = stored.split_once(": ").unwrap_or((stored, "unreadable"));
        ResultsError::WouldAbort {
            cohort: source.cohort.to_string(),
            file: format!("{}/{file}", source.gens_root),
            why: why.to_string(),
        }
        .into()
    };
    let not_folder = |what: String, stage: &'static str, value: &str| -> crate::Error {
        ResultsError::NotAFolderName {
            cohort: source.cohort.to_string(),
            what,
            stage,
            value: value.to_string(),
        }
        .into()
    };
    if !is_folder_name(&m.gen_id) {
        return Err(not_folder(
            "membership gen_id".into(),
            "evaluation",
            &m.gen_id,
        ));
    }
    if let Some(r) = &m.e_refusal {
        return Err(abort(r));
    }
    if let Some(pe) = &m.e_parent {
        if !is_folder_name(pe) {
            return Err(not_folder(
                format!("parent_gen_id in evaluation/{}/metadata.json", m.gen_id),
                "essay",
                pe,
            ));
        }
        if let Some(r) = &m.s_refusal {
            return Err(abort(r));
        }
        if let Some(pd) = &m.s_parent {
            if !is_folder_name(pd) {
                return Err(not_folder(
                    format!("parent_gen_id in essay/{pe}/metadata.json"),
                    "draft",
                    pd,
                ));
            }
            if let Some(r) = &m.d_refusal {
                return Err(abort(r));
            }
        }
    }
    if let Some(r) = &m.e_raw_meta_refusal {
        return Err(abort(r));
    }
    Ok(())
}

/// Checks every member (refusing as the reference would abort, D25) and types the raw
/// columns. Returns the typing and the number of rows.
pub fn check(conn: &Connection, source: &Source<'_>) -> Result<(Typing, u64)> {
    let mut typing = Typing::default();
    let mut rows = 0;
    each(conn, source, |m| {
        refusal(&m, source)?;
        typing.template.add(m.template.kind.as_deref());
        typing.llm.add(m.llm.kind.as_deref());
        typing.input_mode.add(m.input_mode.kind.as_deref());
        typing.copied_from.add(m.copied_from.kind.as_deref());
        rows += 1;
        Ok(())
    })?;
    Ok((typing, rows))
}

/// Streams the rows (after [`check`]) through `f`.
pub fn rows(
    conn: &Connection,
    source: &Source<'_>,
    typing: &Typing,
    mut f: impl FnMut(EvaluationRow) -> Result<()>,
) -> Result<()> {
    let root = source.gens_root;
    each(conn, source, |m| {
        let present = m.e_folder.as_deref() == Some("dir");
        let (score, error) = if present {
            (m.score_text.clone(), m.score_error.clone())
        } else {
            (None, Some(super::score::MISSING.to_string()))
        };
        let draft = m.d_nonempty;
        f(EvaluationRow {
            parent_gen_id: m.e_parent.clone().unwrap_or_default(),
            evaluation_template: typing.template.render(&m.template),
            evaluation_llm_model: typing.llm.render(&m.llm),
            score: score.unwrap_or_default(),
            error: error.unwrap_or_default(),
            evaluation_response_path: format!("{root}/evaluation/{}/parsed.txt", m.gen_id),
            combo_id: m
                .d_combo
                .clone()
                .filter(|_| draft)
                .or(m.e_combo.clone())
                .unwrap_or_default(),
            draft_template: m
                .d_template
                .clone()
                .filter(|_| draft)
                .or(m.e_draft_template.clone())
                .unwrap_or_default(),
            generation_template: m.s_template.clone().unwrap_or_default(),
            generation_model: m
                .s_llm
                .clone()
                .or_else(|| m.d_llm.clone().filter(|_| draft))
                .unwrap_or_default(),
            origin_cohort_id: m.origin.clone().unwrap_or_default(),
            generation_response_path: m
                .e_parent
                .as_ref()
                .map(|pe| format!("{root}/essay/{pe}/parsed.txt"))
                .unwrap_or_default(),
            input_mode: typing.input_mode.render(&m.input_mode),
            copied_from: typing.copied_from.render(&m.copied_from),
            gen_id: m.gen_id,
        })
    })
}
