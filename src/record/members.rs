//! A stored cohort's members as export, verify and the Python package read them: compactly
//! ([`Members`]), one borrowed [`Member`] at a time, with the rows that cannot be part of a
//! canonical record kept as [`RowProblem`]s.

use std::fmt;

use rusqlite::Connection;

use super::Record;
use crate::error::{DbContext, Error, Result};
use crate::ids::{GenId, Replicate, Role, Stage};
use crate::store::queries;

/// A stored cohort's members, held compactly: gen_ids in one buffer, values as ids into the
/// cohort's value texts. Loading never fails on what a row says (a store is data, not code):
/// rows that cannot be part of a canonical record are kept as [`RowProblem`]s, and the member
/// is hashed with what the row holds, so the members digest differs too.
#[derive(Debug, Default)]
pub struct Members {
    ids: String,
    /// Per member: end offset of its gen_id in `ids`.
    ends: Vec<u32>,
    rows: Vec<MemberRow>,
    texts: [Vec<String>; 7],
    /// Rows that cannot be part of a canonical record (the first [`MAX_PROBLEMS`]).
    problems: Vec<RowProblem>,
    /// How many such rows there are in all.
    problem_count: u64,
}

/// How many row problems are kept (all are counted).
const MAX_PROBLEMS: usize = 20;

#[derive(Debug, Clone)]
struct MemberRow {
    stage: u8,
    /// Whether the gen_id passed [`GenId::parse`]: only then is a path built from it.
    safe: bool,
    parent: Option<u32>,
    combo: u32,
    template: u32,
    llm: u32,
    replicate: Replicate,
}

/// What a member refers to, as positions (see [`Members::ids`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberIds {
    /// The parent's ordinal (essays and evaluations).
    pub parent: Option<usize>,
    /// The combo's id among the combo texts.
    pub combo: usize,
    /// The template's id among the stage's template texts.
    pub template: usize,
    /// The LLM's id among the stage's LLM texts.
    pub llm: usize,
}

/// One member, borrowed from [`Members`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    /// The stage.
    pub stage: Stage,
    /// The gen_id.
    pub gen_id: &'a str,
    /// The parent's gen_id (essays and evaluations).
    pub parent_gen_id: Option<&'a str>,
    /// The combo (a draft's own, or its draft's).
    pub combo_id: &'a str,
    /// The template.
    pub template_id: &'a str,
    /// The LLM.
    pub llm_model_id: &'a str,
    /// The replicate index (of any size, docs/decisions.md D23).
    pub replicate: &'a Replicate,
}

impl Member<'_> {
    /// The signature the gen_id was derived from (docs/reference.md §3.9).
    pub fn signature(&self) -> Option<String> {
        let parent = self.parent_gen_id.unwrap_or_default();
        match self.stage {
            Stage::Draft => crate::ids::draft_signature(
                self.combo_id,
                self.template_id,
                self.llm_model_id,
                self.replicate,
            ),
            Stage::Essay => crate::ids::essay_signature(parent, self.template_id, self.replicate),
            Stage::Evaluation => crate::ids::evaluation_signature(
                parent,
                self.template_id,
                self.llm_model_id,
                self.replicate,
            ),
        }
        .ok()
    }
}

/// A stored row that cannot belong to a canonical record (docs/export-verify.md, "What verify
/// checks"): export refuses to write from it, verify reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RowProblem {
    /// A member's gen_id does not follow the gen_id grammar of its stage.
    InvalidGenId {
        /// The member's ordinal.
        ordinal: i64,
        /// The stored text.
        gen_id: String,
    },
    /// The ordinals do not run 0, 1, 2, … (a member was deleted or inserted out of order).
    OrdinalGap {
        /// The ordinal expected next.
        expected: i64,
        /// The ordinal found.
        found: i64,
    },
    /// A member names a parent that is no earlier member of the cohort.
    ParentMissing {
        /// The member's ordinal.
        ordinal: i64,
        /// The stored parent ordinal.
        parent: i64,
    },
    /// A member refers to a value the cohort does not hold.
    ValueMissing {
        /// The member's ordinal.
        ordinal: i64,
        /// The role column (`combo`, `template`, `llm`).
        column: &'static str,
        /// The stored value id.
        vid: i64,
    },
    /// A value row out of the dense sequence 0, 1, 2, … of its role.
    ValueOutOfSequence {
        /// The role number.
        role: i64,
        /// The stored value id.
        vid: i64,
    },
    /// A value row no member refers to.
    UnusedValue {
        /// The role number.
        role: i64,
        /// The value id.
        vid: i64,
    },
    /// A spec file whose stored BLAKE3 is not the digest of its stored content.
    SpecFileDigest {
        /// The stored path.
        path: String,
    },
    /// A spec file path that is not a plain relative path inside the bundle.
    UnsafeSpecPath {
        /// The stored path.
        path: String,
    },
    /// A member of a stage other than 0, 1, 2 (a row written behind cohortdb's back, past its
    /// CHECK constraint); it is left out of the members.
    UnknownStage {
        /// The member's ordinal.
        ordinal: i64,
        /// The stored stage.
        stage: i64,
    },
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowProblem::InvalidGenId { ordinal, gen_id } => write!(
                f,
                "cohort_members ordinal {ordinal}: gen_id {gen_id:?} is not a gen_id of its stage"
            ),
            RowProblem::OrdinalGap { expected, found } => write!(
                f,
                "cohort_members: ordinal {found} where {expected} was expected"
            ),
            RowProblem::ParentMissing { ordinal, parent } => write!(
                f,
                "cohort_members ordinal {ordinal}: parent {parent} is no earlier member"
            ),
            RowProblem::ValueMissing {
                ordinal,
                column,
                vid,
            } => write!(
                f,
                "cohort_members ordinal {ordinal}: {column} {vid} is not a value of the cohort"
            ),
            RowProblem::ValueOutOfSequence { role, vid } => {
                write!(f, "cohort_values role {role} vid {vid}: out of sequence")
            }
            RowProblem::UnusedValue { role, vid } => write!(
                f,
                "cohort_values role {role} vid {vid}: no member refers to it"
            ),
            RowProblem::SpecFileDigest { path } => write!(
                f,
                "cohort_spec_files path {path:?}: its stored BLAKE3 is not its content's"
            ),
            RowProblem::UnsafeSpecPath { path } => write!(
                f,
                "cohort_spec_files path {path:?}: not a plain relative path"
            ),
            RowProblem::UnknownStage { ordinal, stage } => write!(
                f,
                "cohort_members ordinal {ordinal}: stage {stage} is not 0, 1 or 2 (draft, essay, evaluation)"
            ),
        }
    }
}

impl Members {
    fn problem(&mut self, p: RowProblem) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        }
    }

    /// Whether member `i`'s gen_id follows the gen_id grammar (a path may be built from it).
    pub fn is_safe(&self, i: usize) -> bool {
        self.rows.get(i).is_some_and(|r| r.safe)
    }

    /// Value rows no member refers to, as `(role, vid)` (the first few) and how many in all: a
    /// build stores exactly the values its members use.
    pub fn unused_values(&self) -> (Vec<(i64, i64)>, u64) {
        let mut used: [Vec<bool>; 7] = std::array::from_fn(|r| vec![false; self.texts[r].len()]);
        let mut mark = |role: Role, vid: u32| {
            if let Some(flag) = used[role.index()].get_mut(vid as usize) {
                *flag = true;
            }
        };
        for row in &self.rows {
            let stage = Stage::ALL[row.stage as usize];
            mark(Role::Combo, row.combo);
            mark(Role::template(stage), row.template);
            mark(Role::llm(stage), row.llm);
        }
        let mut sample = Vec::new();
        let mut count = 0u64;
        for (role, flags) in used.iter().enumerate() {
            for (vid, used) in flags.iter().enumerate() {
                if !used {
                    count += 1;
                    if sample.len() < MAX_PROBLEMS {
                        sample.push((role as i64, vid as i64));
                    }
                }
            }
        }
        (sample, count)
    }

    /// The rows that cannot belong to a canonical record (the first few) and how many in all.
    pub fn problems(&self) -> (&[RowProblem], u64) {
        (&self.problems, self.problem_count)
    }
}

impl Members {
    /// How many members.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn gen_id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.ids[start..self.ends[i] as usize]
    }

    fn text(&self, role: Role, vid: u32) -> &str {
        self.texts[role.index()]
            .get(vid as usize)
            .map_or("", String::as_str)
    }

    /// Member `i` (its ordinal).
    pub fn get(&self, i: usize) -> Member<'_> {
        let row = &self.rows[i];
        let stage = Stage::ALL[row.stage as usize];
        Member {
            stage,
            gen_id: self.gen_id(i),
            parent_gen_id: row.parent.map(|p| self.gen_id(p as usize)),
            combo_id: self.text(Role::Combo, row.combo),
            template_id: self.text(Role::template(stage), row.template),
            llm_model_id: self.text(Role::llm(stage), row.llm),
            replicate: &row.replicate,
        }
    }

    /// Member `i`'s stage and gen_id: its identity within a cohort, without the rest of
    /// [`Members::get`] (`diff` compares millions of them).
    pub fn key(&self, i: usize) -> (Stage, &str) {
        (Stage::ALL[self.rows[i].stage as usize], self.gen_id(i))
    }

    /// Member `i`'s references: its parent's ordinal and the ids of its combo, template and
    /// LLM texts in [`Members::texts`] of their roles (for callers that convert each distinct
    /// text once, like the Python package).
    pub fn ids(&self, i: usize) -> MemberIds {
        let row = &self.rows[i];
        MemberIds {
            parent: row.parent.map(|p| p as usize),
            combo: row.combo as usize,
            template: row.template as usize,
            llm: row.llm as usize,
        }
    }

    /// The cohort's value texts of `role`, by id.
    pub fn texts(&self, role: Role) -> &[String] {
        &self.texts[role.index()]
    }

    /// Every member in membership order.
    pub fn iter(&self) -> impl Iterator<Item = Member<'_>> {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// The column positions of `sql/cohort_members_select.sql`, looked up by name once.
struct MemberColumns {
    ordinal: usize,
    stage: usize,
    gen_id: usize,
    parent: usize,
    combo: usize,
    template: usize,
    llm: usize,
    replicate: usize,
}

/// Loads a stored cohort's members in membership order. Nothing is allocated from a stored
/// count: memory grows with the rows actually read.
pub fn load_members(conn: &Connection, record: &Record) -> Result<Members> {
    let mut members = Members::default();
    let mut stmt = conn
        .prepare(queries::COHORT_VALUES_SELECT)
        .db("cohort_values_select")?;
    let mut rows = stmt.query([record.cohort_no]).db("cohort_values_select")?;
    while let Some(r) = rows.next().db("cohort_values_select")? {
        let role: i64 = r.get("role").db("cohort_values_select")?;
        let vid: i64 = r.get("vid").db("cohort_values_select")?;
        let text: String = r.get("text").db("cohort_values_select")?;
        let Some(list) = usize::try_from(role)
            .ok()
            .and_then(|r| members.texts.get_mut(r))
        else {
            members.problem(RowProblem::ValueOutOfSequence { role, vid });
            continue;
        };
        // Value ids are dense per role (the build numbers them 0, 1, 2, …); rows come in
        // (role, vid) order, so the next one must be the list's length.
        if usize::try_from(vid).ok() != Some(list.len()) {
            members.problem(RowProblem::ValueOutOfSequence { role, vid });
            continue;
        }
        list.push(text);
    }
    let mut stmt = conn
        .prepare(queries::COHORT_MEMBERS_SELECT)
        .db("cohort_members_select")?;
    // Columns are read by name, each name looked up once (not per row: a cohort can have
    // millions of members).
    let column = |name: &str| stmt.column_index(name).db("cohort_members_select");
    let cols = MemberColumns {
        ordinal: column("ordinal")?,
        stage: column("stage")?,
        gen_id: column("gen_id")?,
        parent: column("parent")?,
        combo: column("combo")?,
        template: column("template")?,
        llm: column("llm")?,
        replicate: column("replicate")?,
    };
    let mut rows = stmt.query([record.cohort_no]).db("cohort_members_select")?;
    // Stored ordinals of the members kept so far (ascending), to find parents after a gap.
    let mut ordinals: Vec<i64> = Vec::new();
    let mut last: Option<i64> = None;
    while let Some(r) = rows.next().db("cohort_members_select")? {
        let get = |index: usize| -> Result<i64> { r.get(index).db("cohort_members_select") };
        let ordinal = get(cols.ordinal)?;
        let expected = last.map_or(0, |o| o + 1);
        if ordinal != expected {
            members.problem(RowProblem::OrdinalGap {
                expected,
                found: ordinal,
            });
        }
        last = Some(ordinal);
        let stage = get(cols.stage)?;
        let Some(stage_enum) = usize::try_from(stage).ok().and_then(|s| Stage::ALL.get(s)) else {
            // A row past the table's CHECK constraint: a finding of this cohort's rows, not an
            // error of the store (docs/reliability.md, "Say what is really wrong").
            members.problem(RowProblem::UnknownStage { ordinal, stage });
            continue;
        };
        let gen_id = r.get_ref(cols.gen_id).db("cohort_members_select")?;
        let gen_id = match gen_id.as_str() {
            Ok(text) => text,
            Err(_) => {
                members.problem(RowProblem::InvalidGenId {
                    ordinal,
                    gen_id: format!("{:?}", gen_id.data_type()),
                });
                ""
            }
        };
        let safe = GenId::parse(*stage_enum, gen_id).is_some();
        if !safe && !gen_id.is_empty() {
            members.problem(RowProblem::InvalidGenId {
                ordinal,
                gen_id: gen_id.chars().take(80).collect(),
            });
        }
        members.ids.push_str(gen_id);
        let end = u32::try_from(members.ids.len()).map_err(|_| {
            Error::internal(
                "a cohort's gen_ids fit in 4 GiB",
                format!("cohort_members ordinal {ordinal}: the cohort's gen_ids exceed 4 GiB"),
            )
        })?;
        members.ends.push(end);
        let parent = match r
            .get::<_, Option<i64>>(cols.parent)
            .db("cohort_members_select")?
        {
            None => None,
            Some(p) => match ordinals.binary_search(&p) {
                Ok(index) if p < ordinal => Some(index as u32),
                _ => {
                    members.problem(RowProblem::ParentMissing { ordinal, parent: p });
                    None
                }
            },
        };
        let mut value = |column: &'static str, index: usize, role: Role| -> Result<u32> {
            let vid = get(index)?;
            match u32::try_from(vid) {
                Ok(v) if (v as usize) < members.texts[role.index()].len() => Ok(v),
                _ => {
                    members.problem(RowProblem::ValueMissing {
                        ordinal,
                        column,
                        vid,
                    });
                    Ok(u32::MAX)
                }
            }
        };
        let combo = value("combo", cols.combo, Role::Combo)?;
        let template = value("template", cols.template, Role::template(*stage_enum))?;
        let llm = value("llm", cols.llm, Role::llm(*stage_enum))?;
        members.rows.push(MemberRow {
            stage: stage as u8,
            safe,
            parent,
            combo,
            template,
            llm,
            replicate: r.get(cols.replicate).db("cohort_members_select")?,
        });
        ordinals.push(ordinal);
    }
    Ok(members)
}
