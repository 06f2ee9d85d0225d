//! The essays and drafts a cohort's rows name (docs/decisions.md D35, D37): each looked up
//! once and remembered, a stored cohort's loaded first in the ledger's key order.

use rusqlite::Connection;

use super::{Materials, Source, opt};
use crate::error::{DbContext, Result};
use crate::ids::Stage;
use crate::results::walk;
use crate::store::queries;

/// An essay's facts that a row reads (`sql/results_score_essay.sql`).
#[derive(Debug, Clone, Default)]
struct Essay {
    refusal: Option<String>,
    template: Option<String>,
    llm: Option<String>,
    parent: Option<String>,
}

/// A draft's facts that a row reads (`sql/results_score_draft.sql`).
#[derive(Debug, Clone, Default)]
struct Draft {
    refusal: Option<String>,
    nonempty: bool,
    combo: Option<String>,
    template: Option<String>,
    llm: Option<String>,
}

/// Essays or drafts remembered per run before the memory is given back and they are looked
/// up again (about 250 bytes each).
const REMEMBERED: usize = 1 << 18;

const PARENT_WALK: &str = "results_score_parent_walk";

/// Walks a stored cohort's members of `stage` (a draft or essay stage) beside the ledger
/// (`results_score_parent_walk.sql`, D37), calling `f` with each member the ledger holds and
/// its row.
fn walk_members(
    conn: &Connection,
    cohort: &str,
    stage: Stage,
    mut f: impl FnMut(&str, &rusqlite::Row<'_>) -> Result<()>,
) -> Result<()> {
    let ids = crate::results::stored_members(conn, cohort, stage)?;
    let order = ids.key_order();
    let id = |k: usize| ids.get(order[k] as usize);
    walk::walk(
        conn,
        queries::RESULTS_SCORE_PARENT_WALK,
        PARENT_WALK,
        stage.as_str(),
        ids.len(),
        id,
        |k, row| match row {
            Some(r) => f(id(k), r),
            None => Ok(()),
        },
    )
}

/// gen_id → place, hashed with foldhash (docs/decisions.md "Dependencies"): one lookup per
/// row.
type Places = std::collections::HashMap<String, usize, foldhash::fast::RandomState>;

/// The essays and drafts the rows name, each looked up once by key and remembered (a
/// cohort's evaluations name each essay about ten times, in no useful order). A stored
/// cohort's essay and draft members are loaded first, walked in the ledger's key order
/// (`results_score_parent_walk.sql`, D37); a parent that is not a member is looked up when
/// first named.
pub struct Parents<'c> {
    essay: rusqlite::CachedStatement<'c>,
    draft: rusqlite::CachedStatement<'c>,
    /// gen_id → place in `essay_rows`.
    essays: Places,
    /// An essay's facts (`None`: not in the ledger) and its draft's place in `draft_rows`.
    essay_rows: Vec<Option<(Essay, Option<usize>)>>,
    drafts: Places,
    draft_rows: Vec<Option<Draft>>,
}

fn owned(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<String>> {
    opt(r, at).map(|t| t.map(str::to_string))
}

impl<'c> Parents<'c> {
    /// Nothing remembered yet; for a stored cohort, its essay and draft members loaded.
    pub fn new(conn: &'c Connection, source: &Source<'_>) -> Result<Self> {
        let mut parents = Parents::empty(conn)?;
        if source.stored {
            parents.preload(conn, source.cohort)?;
        }
        Ok(parents)
    }

    fn empty(conn: &'c Connection) -> Result<Self> {
        Ok(Parents {
            essay: conn
                .prepare_cached(queries::RESULTS_SCORE_ESSAY)
                .db("results_score_essay")?,
            draft: conn
                .prepare_cached(queries::RESULTS_SCORE_DRAFT)
                .db("results_score_draft")?,
            essays: Places::default(),
            essay_rows: Vec::new(),
            drafts: Places::default(),
            draft_rows: Vec::new(),
        })
    }

    /// Loads a stored cohort's draft, then essay members that the ledger holds (up to
    /// [`REMEMBERED`] of each), each stage's sorted by gen_id and walked beside the ledger.
    fn preload(&mut self, conn: &Connection, cohort: &str) -> Result<()> {
        // Columns by position (results_score_parent_walk.sql): gen_id, refusal, template,
        // llm_model_id, parent_gen_id, meta_nonempty, combo_id.
        walk_members(conn, cohort, Stage::Draft, |gen_id, r| {
            if self.draft_rows.len() >= REMEMBERED {
                return Ok(());
            }
            let draft = Draft {
                refusal: owned(r, 1).db(PARENT_WALK)?,
                nonempty: r
                    .get::<_, Option<bool>>(5)
                    .db(PARENT_WALK)?
                    .unwrap_or(false),
                combo: owned(r, 6).db(PARENT_WALK)?,
                template: owned(r, 2).db(PARENT_WALK)?,
                llm: owned(r, 3).db(PARENT_WALK)?,
            };
            self.drafts
                .insert(gen_id.to_string(), self.draft_rows.len());
            self.draft_rows.push(Some(draft));
            Ok(())
        })?;
        walk_members(conn, cohort, Stage::Essay, |gen_id, r| {
            if self.essay_rows.len() >= REMEMBERED || self.draft_rows.len() >= REMEMBERED {
                return Ok(());
            }
            let essay = Essay {
                refusal: owned(r, 1).db(PARENT_WALK)?,
                template: owned(r, 2).db(PARENT_WALK)?,
                llm: owned(r, 3).db(PARENT_WALK)?,
                parent: owned(r, 4).db(PARENT_WALK)?,
            };
            let draft = match essay.parent.as_deref() {
                Some(pd) => Some(self.draft(pd)?),
                None => None,
            };
            self.essays
                .insert(gen_id.to_string(), self.essay_rows.len());
            self.essay_rows.push(Some((essay, draft)));
            Ok(())
        })
    }

    /// The place of draft `pd` in `draft_rows`, looked up when it is not remembered.
    fn draft(&mut self, pd: &str) -> Result<usize> {
        if let Some(at) = self.drafts.get(pd) {
            return Ok(*at);
        }
        let mut rows = self.draft.query([pd]).db("results_score_draft")?;
        let draft = match rows.next().db("results_score_draft")? {
            None => None,
            Some(r) => Some(
                (|| {
                    Ok::<_, rusqlite::Error>(Draft {
                        refusal: owned(r, 0)?,
                        nonempty: r.get::<_, Option<bool>>(1)?.unwrap_or(false),
                        combo: owned(r, 2)?,
                        template: owned(r, 3)?,
                        llm: owned(r, 4)?,
                    })
                })()
                .db("results_score_draft")?,
            ),
        };
        drop(rows);
        let at = self.draft_rows.len();
        self.draft_rows.push(draft);
        self.drafts.insert(pd.to_string(), at);
        Ok(at)
    }

    /// The place of essay `pe` in `essay_rows` (with its draft), looked up when it is not
    /// remembered.
    pub(super) fn essay(&mut self, pe: &str) -> Result<usize> {
        if let Some(at) = self.essays.get(pe) {
            return Ok(*at);
        }
        if self.essay_rows.len() >= REMEMBERED || self.draft_rows.len() >= REMEMBERED {
            // Forget everything (the essays' places of their drafts go with the drafts).
            self.essays.clear();
            self.essay_rows.clear();
            self.drafts.clear();
            self.draft_rows.clear();
        }
        let mut rows = self.essay.query([pe]).db("results_score_essay")?;
        let essay = match rows.next().db("results_score_essay")? {
            None => None,
            Some(r) => Some(
                (|| {
                    Ok::<_, rusqlite::Error>(Essay {
                        refusal: owned(r, 0)?,
                        template: owned(r, 1)?,
                        llm: owned(r, 2)?,
                        parent: owned(r, 3)?,
                    })
                })()
                .db("results_score_essay")?,
            ),
        };
        drop(rows);
        let row = match essay {
            None => None,
            Some(essay) => {
                let draft = match essay.parent.as_deref() {
                    Some(pd) => Some(self.draft(pd)?),
                    None => None,
                };
                Some((essay, draft))
            }
        };
        let at = self.essay_rows.len();
        self.essay_rows.push(row);
        self.essays.insert(pe.to_string(), at);
        Ok(at)
    }

    /// Fills the essay and draft facts of `m` from the essay at `at` ([`Parents::essay`]).
    pub(super) fn fill<'a>(&'a self, at: usize, m: &mut Materials<'a>) {
        let Some((s, draft)) = self.essay_rows.get(at).and_then(Option::as_ref) else {
            return;
        };
        m.s_refusal = s.refusal.as_deref();
        m.s_template = s.template.as_deref();
        m.s_llm = s.llm.as_deref();
        m.s_parent = s.parent.as_deref();
        let Some(d) = draft
            .and_then(|at| self.draft_rows.get(at))
            .and_then(Option::as_ref)
        else {
            return;
        };
        m.d_refusal = d.refusal.as_deref();
        m.d_nonempty = d.nonempty;
        m.d_combo = d.combo.as_deref();
        m.d_template = d.template.as_deref();
        m.d_llm = d.llm.as_deref();
    }
}
