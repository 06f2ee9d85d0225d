//! The stored cohort that export and verify read: the record with its spec bundle, template
//! modes and members ([`Stored`]), and the comparison of a spec folder on disk with the stored
//! bundle ([`compare_spec`]).

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::Connection;

use super::{Record, load, load_bundle, load_modes};
use crate::error::{DbContext, Error, Result};
use crate::ids::{CohortId, Role, Stage};
use crate::spec::Bundle;
use crate::store::queries;

/// A stored cohort with everything export and verify need.
pub struct Stored {
    /// The record.
    pub record: Record,
    /// The spec bundle.
    pub bundle: Bundle,
    /// Template modes by (stage, template_id).
    pub modes: BTreeMap<(String, String), String>,
    /// The members (empty when loaded without them).
    pub members: Members,
}

impl Stored {
    /// Loads a stored cohort, or says it does not exist.
    pub fn load(conn: &Connection, id: &CohortId) -> Result<Stored> {
        Stored::load_with(conn, id, true)
    }

    /// Loads a stored cohort, with its members only when `with_members` (a store-only verify
    /// recomputes them and needs only the record).
    pub fn load_with(conn: &Connection, id: &CohortId, with_members: bool) -> Result<Stored> {
        let record = load(conn, id.as_str())?.ok_or_else(|| Error::Usage {
            message: format!("no cohort {:?} in the store", id.as_str()),
            detail: vec![
                "hint: `cohortdb cohorts` lists the stored cohorts; `cohortdb build` stores one"
                    .to_string(),
            ],
        })?;
        let bundle = load_bundle(conn, &record)?;
        let modes = load_modes(conn, record.cohort_no)?;
        let members = if with_members {
            load_members(conn, &record)?
        } else {
            Members::default()
        };
        Ok(Stored {
            record,
            bundle,
            modes,
            members,
        })
    }

    /// The mode metadata records for a member's template (docs/reference.md §3.6; `llm` by
    /// default).
    pub fn mode(&self, stage: Stage, template: &str) -> &str {
        self.modes
            .get(&(stage.as_str().to_string(), template.to_string()))
            .map_or("llm", String::as_str)
    }
}

/// Whether the spec files in `dir` have the stored bundle's canonical form: files missing on
/// disk count as the stored ones. Returns the paths whose bytes differ, and whether the canonical
/// form still matches.
pub fn compare_spec(dir: &Path, stored: &Stored) -> Result<(Vec<String>, bool)> {
    let mut merged = stored.bundle.files.clone();
    let mut differing = Vec::new();
    for (path, bytes) in &stored.bundle.files {
        let on_disk = dir.join(path);
        match crate::fsutil::read_regular(&on_disk) {
            Ok(found) if found == *bytes => {}
            Ok(found) => {
                differing.push(path.clone());
                merged.insert(path.clone(), found);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&on_disk, e)),
        }
    }
    if differing.is_empty() {
        return Ok((differing, true));
    }
    let bundle = Bundle {
        config: stored.bundle.config.clone(),
        files: merged,
    };
    let same = match crate::spec::load_bundle(&bundle, &dir.display().to_string()) {
        Ok(spec) => {
            super::canonical::spec_hash(&spec, stored.record.seed.as_ref()).to_hex()
                == stored.record.spec_hash
        }
        Err(_) => false,
    };
    Ok((differing, same))
}

/// A stored cohort's members, held compactly: gen_ids in one buffer, values as ids into the
/// cohort's value texts.
#[derive(Debug, Default)]
pub struct Members {
    ids: String,
    /// Per member: end offset of its gen_id in `ids`.
    ends: Vec<u32>,
    rows: Vec<MemberRow>,
    texts: [Vec<String>; 7],
}

#[derive(Debug, Clone, Copy)]
struct MemberRow {
    stage: u8,
    parent: Option<u32>,
    combo: u32,
    template: u32,
    llm: u32,
    replicate: i64,
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
    /// The replicate index.
    pub replicate: i64,
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
        let row = self.rows[i];
        let stage = Stage::ALL[row.stage as usize];
        Member {
            stage,
            gen_id: self.gen_id(i),
            parent_gen_id: row.parent.map(|p| self.gen_id(p as usize)),
            combo_id: self.text(Role::Combo, row.combo),
            template_id: self.text(Role::template(stage), row.template),
            llm_model_id: self.text(Role::llm(stage), row.llm),
            replicate: row.replicate,
        }
    }

    /// Every member in membership order.
    pub fn iter(&self) -> impl Iterator<Item = Member<'_>> {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// Loads a stored cohort's members in membership order.
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
            return Err(Error::usage(format!(
                "the store holds a cohort value of unknown role {role}"
            )));
        };
        if list.len() <= vid as usize {
            list.resize(vid as usize + 1, String::new());
        }
        list[vid as usize] = text;
    }
    let total: u64 = record.counts.iter().sum();
    members.rows.reserve(total as usize);
    members.ends.reserve(total as usize);
    members.ids.reserve(total as usize * 18);
    let mut stmt = conn
        .prepare(queries::COHORT_MEMBERS_SELECT)
        .db("cohort_members_select")?;
    let mut rows = stmt.query([record.cohort_no]).db("cohort_members_select")?;
    while let Some(r) = rows.next().db("cohort_members_select")? {
        let gen_id = r.get_ref("gen_id").db("cohort_members_select")?;
        members.ids.push_str(
            gen_id
                .as_str()
                .map_err(|e| Error::usage(format!("a stored gen_id is not text: {e}")))?,
        );
        members.ends.push(members.ids.len() as u32);
        let parent: Option<i64> = r.get("parent").db("cohort_members_select")?;
        let stage: i64 = r.get("stage").db("cohort_members_select")?;
        if !(0..Stage::ALL.len() as i64).contains(&stage) {
            return Err(Error::usage(format!(
                "the store holds a member of unknown stage {stage}"
            )));
        }
        members.rows.push(MemberRow {
            stage: stage as u8,
            parent: parent.map(|p| p as u32),
            combo: r.get::<_, i64>("combo").db("cohort_members_select")? as u32,
            template: r.get::<_, i64>("template").db("cohort_members_select")? as u32,
            llm: r.get::<_, i64>("llm").db("cohort_members_select")? as u32,
            replicate: r.get("replicate").db("cohort_members_select")?,
        });
    }
    Ok(members)
}
