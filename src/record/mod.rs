//! Immutable cohort records (D12, D14): written once with INSERT only, keyed by cohort id;
//! the schema's triggers refuse any UPDATE or DELETE.

pub mod canonical;

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};

use crate::cohort::members::Computed;
use crate::compile::shuffle::Seed;
use crate::error::{DbContext, Result};
use crate::ids::Stage;
use crate::spec::Bundle;
use crate::store::queries;

pub use canonical::{ContentHash, SCHEME};

/// A stored cohort record (without its members).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The build number (members, values and registry entries refer to it).
    pub cohort_no: i64,
    /// The cohort id.
    pub cohort_id: String,
    /// The hash scheme (`cohortdb-v1`).
    pub scheme: String,
    /// The content hash.
    pub content_hash: String,
    /// The canonical spec's digest.
    pub spec_hash: String,
    /// The members' digest.
    pub members_hash: String,
    /// The manifest's digest.
    pub manifest_hash: String,
    /// The referenced catalog rows' digest.
    pub catalog_hash: String,
    /// The effective shuffle seed.
    pub seed: Option<Seed>,
    /// The newest import batch the build saw.
    pub last_batch: i64,
    /// The config file inside the bundle.
    pub spec_config: String,
    /// `manifest.json`.
    pub manifest: String,
    /// Members per stage.
    pub counts: [u64; 3],
    /// When it was built (RFC 3339, UTC).
    pub created_at: String,
}

/// One row of `cohortdb cohorts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The cohort id.
    pub cohort_id: String,
    /// The content hash.
    pub content_hash: String,
    /// Members per stage.
    pub counts: [u64; 3],
    /// When it was built.
    pub created_at: String,
}

/// The newest import batch (0 before any import).
pub fn last_batch(conn: &Connection) -> Result<i64> {
    conn.query_row(queries::BATCH_SELECT_LAST, [], |r| r.get(0))
        .db("batch_select_last")
}

/// The cohort_no the next record gets.
pub fn next_cohort_no(conn: &Connection) -> Result<i64> {
    conn.query_row(queries::RECORD_NEXT_NO, [], |r| r.get(0))
        .db("record_next_no")
}

/// Loads a record by cohort id.
pub fn load(conn: &Connection, cohort_id: &str) -> Result<Option<Record>> {
    conn.query_row(queries::RECORD_SELECT, [cohort_id], |r| {
        Ok(Record {
            cohort_no: r.get(0)?,
            cohort_id: cohort_id.to_string(),
            scheme: r.get(1)?,
            content_hash: r.get(2)?,
            spec_hash: r.get(3)?,
            members_hash: r.get(4)?,
            manifest_hash: r.get(5)?,
            catalog_hash: r.get(6)?,
            seed: r.get(7)?,
            last_batch: r.get(8)?,
            spec_config: r.get(9)?,
            manifest: r.get(10)?,
            counts: stage_counts(r, 11)?,
            created_at: r.get(14)?,
        })
    })
    .optional()
    .db("record_select")
}

/// The draft, essay and evaluation counts in columns `first..first + 3` of a record row.
fn stage_counts(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<[u64; 3]> {
    Ok([
        r.get::<_, i64>(first)? as u64,
        r.get::<_, i64>(first + 1)? as u64,
        r.get::<_, i64>(first + 2)? as u64,
    ])
}

/// Every stored cohort, by id.
pub fn list(conn: &Connection) -> Result<Vec<Summary>> {
    let mut stmt = conn.prepare(queries::RECORD_LIST).db("record_list")?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Summary {
                cohort_id: r.get(0)?,
                content_hash: r.get(1)?,
                counts: stage_counts(r, 2)?,
                created_at: r.get(5)?,
            })
        })
        .db("record_list")?;
    rows.collect::<rusqlite::Result<Vec<_>>>().db("record_list")
}

/// The stored spec bundle of a record.
pub fn load_bundle(conn: &Connection, record: &Record) -> Result<Bundle> {
    let mut stmt = conn
        .prepare(queries::RECORD_SPEC_FILES_SELECT)
        .db("record_spec_files_select")?;
    let files: BTreeMap<String, Vec<u8>> = stmt
        .query_map([record.cohort_no], |r| Ok((r.get(0)?, r.get(1)?)))
        .db("record_spec_files_select")?
        .collect::<rusqlite::Result<_>>()
        .db("record_spec_files_select")?;
    Ok(Bundle {
        config: record.spec_config.clone(),
        files,
    })
}

/// The stored template modes of a record: `(stage, template_id) → mode`.
pub fn load_modes(conn: &Connection, cohort_no: i64) -> Result<BTreeMap<(String, String), String>> {
    let mut stmt = conn
        .prepare(queries::RECORD_TEMPLATE_MODES_SELECT)
        .db("record_template_modes_select")?;
    let modes = stmt
        .query_map([cohort_no], |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))
        .db("record_template_modes_select")?
        .collect::<rusqlite::Result<_>>()
        .db("record_template_modes_select")?;
    Ok(modes)
}

/// Writes a new record from a build's scratch tables (`temp.m`, `temp.role_text`), inside the
/// caller's transaction: the record row, the spec bundle, the template modes, the member values
/// and members, and the gen_ids issued for the first time. INSERT only.
pub fn write(
    conn: &Connection,
    cohort_id: &str,
    computed: &Computed,
    bundle: &Bundle,
    created_at: &str,
) -> Result<()> {
    let h = &computed.hashes;
    let no = computed.cohort_no;
    conn.execute(
        queries::RECORD_INSERT,
        params![
            no,
            cohort_id,
            SCHEME,
            h.content.to_hex(),
            h.spec.to_hex(),
            h.members.to_hex(),
            h.manifest.to_hex(),
            h.catalog.to_hex(),
            computed.seed,
            computed.last_batch,
            bundle.config,
            computed.manifest,
            computed.counts[0] as i64,
            computed.counts[1] as i64,
            computed.counts[2] as i64,
            created_at,
        ],
    )
    .db("record_insert")?;
    let mut file = conn
        .prepare(queries::RECORD_SPEC_FILE_INSERT)
        .db("record_spec_file_insert")?;
    for (path, content) in &bundle.files {
        file.execute(params![
            no,
            path,
            content,
            blake3::hash(content).to_hex().to_string()
        ])
        .db("record_spec_file_insert")?;
    }
    let mut mode = conn
        .prepare(queries::RECORD_TEMPLATE_MODE_INSERT)
        .db("record_template_mode_insert")?;
    for (stage, template, m) in &computed.modes {
        mode.execute(params![no, stage.as_str(), template, m])
            .db("record_template_mode_insert")?;
    }
    conn.execute(queries::COHORT_VALUES_INSERT, [no])
        .db("cohort_values_insert")?;
    conn.execute(queries::COHORT_MEMBERS_INSERT, [no])
        .db("cohort_members_insert")?;
    // The entries are sorted by gen_id, so the registry's B-tree grows at its end (SQLite would
    // sort a million text keys several times slower than Rust does).
    let mut insert = conn.prepare(queries::GEN_IDS_INSERT).db("gen_ids_insert")?;
    for entry in &computed.registry {
        insert
            .execute(params![
                entry.gen_id(),
                &entry.digest[..],
                entry.collision,
                no,
                entry.ordinal
            ])
            .db("gen_ids_insert")?;
    }
    Ok(())
}

/// Stage names in membership order, for reports.
pub fn stage_names() -> [&'static str; 3] {
    Stage::ALL.map(Stage::as_str)
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
    /// The signature the gen_id was derived from (semantics §3.9).
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

    /// Member `i` (its ordinal).
    pub fn get(&self, i: usize) -> Member<'_> {
        let row = self.rows[i];
        let stage = Stage::ALL[row.stage as usize];
        let s = row.stage as usize;
        Member {
            stage,
            gen_id: self.gen_id(i),
            parent_gen_id: row.parent.map(|p| self.gen_id(p as usize)),
            combo_id: &self.texts[0][row.combo as usize],
            template_id: &self.texts[2 * s + 1][row.template as usize],
            llm_model_id: &self.texts[2 * s + 2][row.llm as usize],
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
        let role: i64 = r.get(0).db("cohort_values_select")?;
        let vid: i64 = r.get(1).db("cohort_values_select")?;
        let text: String = r.get(2).db("cohort_values_select")?;
        let list = &mut members.texts[role as usize];
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
        let gen_id = r.get_ref(2).db("cohort_members_select")?;
        members.ids.push_str(
            gen_id
                .as_str()
                .map_err(|e| crate::Error::usage(format!("a stored gen_id is not text: {e}")))?,
        );
        members.ends.push(members.ids.len() as u32);
        let parent: Option<i64> = r.get(3).db("cohort_members_select")?;
        members.rows.push(MemberRow {
            stage: r.get::<_, i64>(1).db("cohort_members_select")? as u8,
            parent: parent.map(|p| p as u32),
            combo: r.get::<_, i64>(4).db("cohort_members_select")? as u32,
            template: r.get::<_, i64>(5).db("cohort_members_select")? as u32,
            llm: r.get::<_, i64>(6).db("cohort_members_select")? as u32,
            replicate: r.get(7).db("cohort_members_select")?,
        });
    }
    Ok(members)
}
