//! The normalised evaluation-scores table (docs/reference.md, "Results" §4-§6): one row per
//! evaluation gen_id of the cohort, assembled from the ledger's facts of the evaluation, its
//! essay and that essay's draft, with the raw-copied columns typed as pandas types them.

use rusqlite::Connection;

use super::walk;
use crate::error::{DbContext, Result, ResultsError};
use crate::store::queries;

mod parents;
pub use parents::Parents;

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

/// A raw cell as the ledger stores it, borrowed from the statement's current row.
#[derive(Debug, Clone, Copy, Default)]
struct Raw<'r> {
    kind: Option<&'r str>,
    text: Option<&'r str>,
    float: Option<&'r str>,
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

    fn render<'r>(&self, raw: &Raw<'r>) -> &'r str {
        if self.float_form() && raw.kind == Some("int") {
            return raw.float.unwrap_or_default();
        }
        raw.text.unwrap_or_default()
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

impl Typing {
    fn add(&mut self, m: &Materials<'_>) {
        self.template.add(m.template.kind);
        self.llm.add(m.llm.kind);
        self.input_mode.add(m.input_mode.kind);
        self.copied_from.add(m.copied_from.kind);
    }

    /// True when some column prints its ints in float form (`3.0`): only then do the rows
    /// depend on the rows after them.
    pub fn any_float_form(&self) -> bool {
        [self.template, self.llm, self.input_mode, self.copied_from]
            .iter()
            .any(ColumnKinds::float_form)
    }
}

/// One member's facts from the ledger (`sql/results_score_materials.sql`), borrowed from the
/// statement's current row: no allocation per row.
#[derive(Debug, Clone, Default)]
struct Materials<'r> {
    gen_id: &'r str,
    e_folder: Option<&'r str>,
    e_refusal: Option<&'r str>,
    e_raw_meta_refusal: Option<&'r str>,
    e_parent: Option<&'r str>,
    e_combo: Option<&'r str>,
    e_draft_template: Option<&'r str>,
    template: Raw<'r>,
    llm: Raw<'r>,
    origin: Option<&'r str>,
    score_text: Option<&'r str>,
    score_error: Option<&'r str>,
    input_mode: Raw<'r>,
    copied_from: Raw<'r>,
    s_refusal: Option<&'r str>,
    s_template: Option<&'r str>,
    s_llm: Option<&'r str>,
    s_parent: Option<&'r str>,
    d_refusal: Option<&'r str>,
    d_nonempty: bool,
    d_combo: Option<&'r str>,
    d_template: Option<&'r str>,
    d_llm: Option<&'r str>,
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

/// An optional text column of the current row, borrowed.
fn opt<'r>(r: &'r rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<&'r str>> {
    use rusqlite::types::ValueRef;
    match r.get_ref(at)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => std::str::from_utf8(t).map(Some).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, Box::new(e))
        }),
        other => Err(rusqlite::Error::InvalidColumnType(
            at,
            format!("column {at}"),
            other.data_type(),
        )),
    }
}

/// A raw cell: its kind, text and float form at `at`, `at + 1`, `at + 2`.
fn raw<'r>(r: &'r rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Raw<'r>> {
    Ok(Raw {
        kind: opt(r, at)?,
        text: opt(r, at + 1)?,
        float: opt(r, at + 2)?,
    })
}

fn materials<'r>(r: &'r rusqlite::Row<'_>) -> rusqlite::Result<Materials<'r>> {
    // The evaluation's columns are at the same positions in both statements.
    Ok(Materials {
        s_refusal: opt(r, 24)?,
        s_template: opt(r, 25)?,
        s_llm: opt(r, 26)?,
        s_parent: opt(r, 27)?,
        d_refusal: opt(r, 29)?,
        d_nonempty: r.get::<_, Option<bool>>(30)?.unwrap_or(false),
        d_combo: opt(r, 31)?,
        d_template: opt(r, 32)?,
        d_llm: opt(r, 33)?,
        ..evaluation_materials(r, 1)?
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
    /// The evaluation gen_ids, in membership order.
    pub members: &'a walk::Ids,
    /// The resolved gens root, for the path cells and messages.
    pub gens_root: &'a str,
    /// True for a stored cohort (its essay and draft members are loaded in key order first).
    pub stored: bool,
}

/// Streams the materials of every member through `f`.
fn each(
    conn: &Connection,
    source: &Source<'_>,
    mut f: impl FnMut(&Materials<'_>) -> Result<()>,
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
    let json = serde_json::to_string(source.members).map_err(|e| {
        crate::Error::internal("a list of strings serialises as JSON", e.to_string())
    })?;
    let mut rows = stmt.query([&json]).db("results_score_materials")?;
    while let Some(r) = rows.next().db("results_score_materials")? {
        f(&materials(r).db("results_score_materials")?)?;
    }
    Ok(())
}

/// The first reason the reference would abort on this member (in its read order, §8), if any.
fn refusal(m: &Materials<'_>, source: &Source<'_>) -> Result<()> {
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
    if !is_folder_name(m.gen_id) {
        return Err(not_folder(
            "membership gen_id".into(),
            "evaluation",
            m.gen_id,
        ));
    }
    if let Some(r) = m.e_refusal {
        return Err(abort(r));
    }
    if let Some(pe) = m.e_parent {
        if !is_folder_name(pe) {
            return Err(not_folder(
                format!("parent_gen_id in evaluation/{}/metadata.json", m.gen_id),
                "essay",
                pe,
            ));
        }
        if let Some(r) = m.s_refusal {
            return Err(abort(r));
        }
        if let Some(pd) = m.s_parent {
            if !is_folder_name(pd) {
                return Err(not_folder(
                    format!("parent_gen_id in essay/{pe}/metadata.json"),
                    "draft",
                    pd,
                ));
            }
            if let Some(r) = m.d_refusal {
                return Err(abort(r));
            }
        }
    }
    if let Some(r) = m.e_raw_meta_refusal {
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
        refusal(m, source)?;
        typing.add(m);
        rows += 1;
        Ok(())
    })?;
    Ok((typing, rows))
}

/// Reusable buffers for a row's two path cells.
#[derive(Debug, Default)]
struct Paths {
    evaluation: String,
    generation: String,
}

/// A member's row as the CSV writes it, in column order: cells borrowed from `m` and `paths`.
fn render<'a>(
    m: &'a Materials<'a>,
    typing: &Typing,
    root: &str,
    paths: &'a mut Paths,
) -> [&'a str; 15] {
    use std::fmt::Write as _;
    paths.evaluation.clear();
    paths.generation.clear();
    // Writing into a String cannot fail.
    let _ = write!(
        paths.evaluation,
        "{root}/evaluation/{}/parsed.txt",
        m.gen_id
    );
    if let Some(pe) = m.e_parent {
        let _ = write!(paths.generation, "{root}/essay/{pe}/parsed.txt");
    }
    let paths: &'a Paths = paths;
    let present = m.e_folder == Some("dir");
    let (score, error) = if present {
        (m.score_text, m.score_error)
    } else {
        (None, Some(super::score::MISSING))
    };
    let draft = m.d_nonempty;
    [
        m.gen_id,
        m.e_parent.unwrap_or_default(),
        typing.template.render(&m.template),
        typing.llm.render(&m.llm),
        score.unwrap_or_default(),
        error.unwrap_or_default(),
        &paths.evaluation,
        m.d_combo
            .filter(|_| draft)
            .or(m.e_combo)
            .unwrap_or_default(),
        m.d_template
            .filter(|_| draft)
            .or(m.e_draft_template)
            .unwrap_or_default(),
        m.s_template.unwrap_or_default(),
        m.s_llm
            .or_else(|| m.d_llm.filter(|_| draft))
            .unwrap_or_default(),
        m.origin.unwrap_or_default(),
        &paths.generation,
        typing.input_mode.render(&m.input_mode),
        typing.copied_from.render(&m.copied_from),
    ]
}

/// Streams the rows (after [`check`]) through `f`.
pub fn rows(
    conn: &Connection,
    source: &Source<'_>,
    typing: &Typing,
    mut f: impl FnMut(EvaluationRow) -> Result<()>,
) -> Result<()> {
    let mut paths = Paths::default();
    each(conn, source, |m| {
        let c = render(m, typing, source.gens_root, &mut paths).map(str::to_string);
        let [
            gen_id,
            parent_gen_id,
            evaluation_template,
            evaluation_llm_model,
            score,
            error,
            evaluation_response_path,
            combo_id,
            draft_template,
            generation_template,
            generation_model,
            origin_cohort_id,
            generation_response_path,
            input_mode,
            copied_from,
        ] = c;
        f(EvaluationRow {
            gen_id,
            parent_gen_id,
            evaluation_template,
            evaluation_llm_model,
            score,
            error,
            evaluation_response_path,
            combo_id,
            draft_template,
            generation_template,
            generation_model,
            origin_cohort_id,
            generation_response_path,
            input_mode,
            copied_from,
        })
    })
}

/// The columns of `sql/results_score_walk.sql`: the evaluation's part of
/// [`MATERIAL_COLUMNS`] (from gen_id), in the same order.
const WALK_COLUMNS: std::ops::Range<usize> = 1..23;

/// The evaluation's facts of a row whose gen_id is at column `at`, the rest after it in
/// [`MATERIAL_COLUMNS`] order (the essay's and draft's are filled by [`Parents::fill`]).
fn evaluation_materials<'r>(
    r: &'r rusqlite::Row<'_>,
    at: usize,
) -> rusqlite::Result<Materials<'r>> {
    Ok(Materials {
        gen_id: opt(r, at)?.unwrap_or_default(),
        e_folder: opt(r, at + 1)?,
        e_refusal: opt(r, at + 2)?,
        e_raw_meta_refusal: opt(r, at + 3)?,
        e_parent: opt(r, at + 4)?,
        e_combo: opt(r, at + 5)?,
        e_draft_template: opt(r, at + 6)?,
        template: raw(r, at + 7)?,
        llm: raw(r, at + 10)?,
        origin: opt(r, at + 13)?,
        score_text: opt(r, at + 14)?,
        score_error: opt(r, at + 15)?,
        input_mode: raw(r, at + 16)?,
        copied_from: raw(r, at + 19)?,
        ..Materials::default()
    })
}

/// One pass that checks and renders at once (what `scores` writes), in the ledger's key order
/// rather than membership order: the evaluations are walked beside the members sorted by
/// gen_id (`order`, from [`walk::Ids::key_order`]; `sql/results_score_walk.sql`, D37), so the
/// ledger's pages are read once, in order, and each essay and draft is looked up once
/// (`parents`, kept between passes). Every member is checked and, unless it is refused, handed
/// to `f` with its ordinal (its position in the membership) and its cells; the caller puts the
/// rows back in membership order (docs/decisions.md D35). Where the reference would abort
/// (D25) the error is the one of the *first* member in membership order that fails — the same
/// member and message as a pass in membership order — returned after the pass, so `f` must
/// write nowhere visible. The raw-copied columns are rendered with `typing` when given, else
/// as if no int printed in float form; the typing found is returned with the number of rows,
/// and when it says some column prints ints as floats ([`Typing::any_float_form`]) a pass
/// without `typing` must be redone with it.
pub fn render_rows(
    conn: &Connection,
    source: &Source<'_>,
    order: &[u32],
    parents: &mut Parents<'_>,
    typing: Option<&Typing>,
    mut f: impl FnMut(u64, &[&str; 15]) -> Result<()>,
) -> Result<(Typing, u64)> {
    const WHAT: &str = "results_score_walk";
    let plain = Typing::default();
    let mut found = Typing::default();
    let mut rows = 0;
    let mut paths = Paths::default();
    let mut first: Option<(u64, crate::Error)> = None;
    {
        let stmt = conn.prepare_cached(queries::RESULTS_SCORE_WALK).db(WHAT)?;
        if !stmt
            .column_names()
            .eq(MATERIAL_COLUMNS[WALK_COLUMNS].iter().copied())
        {
            return Err(crate::Error::internal(
                "results_score_walk.sql returns the columns results::table reads",
                format!("{:?}", stmt.column_names().collect::<Vec<_>>()),
            ));
        }
    }
    let ids = source.members;
    let id = |k: usize| ids.get(order[k] as usize);
    walk::walk(
        conn,
        queries::RESULTS_SCORE_WALK,
        WHAT,
        "evaluation",
        order.len(),
        id,
        |k, row| {
            let ordinal = u64::from(order[k]);
            let mut m = match row {
                Some(r) => evaluation_materials(r, 0).db(WHAT)?,
                None => Materials::default(),
            };
            m.gen_id = id(k);
            if let Some(pe) = m.e_parent {
                let at = parents.essay(pe)?;
                parents.fill(at, &mut m);
            }
            if let Err(e) = refusal(&m, source) {
                if first.as_ref().is_none_or(|(at, _)| ordinal < *at) {
                    first = Some((ordinal, e));
                }
                return Ok(());
            }
            if first.is_some() {
                // Nothing will be written: the rows after a refusal are only checked.
                return Ok(());
            }
            found.add(&m);
            rows += 1;
            f(
                ordinal,
                &render(&m, typing.unwrap_or(&plain), source.gens_root, &mut paths),
            )
        },
    )?;
    if let Some((_, e)) = first {
        return Err(e);
    }
    Ok((found, rows))
}
