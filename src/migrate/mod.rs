//! `cohortdb migrate` (D17, docs/reference.md §5): what legacy users have — a cohort that exists only as
//! `membership.csv` plus `gens/*/metadata.json`, or catalogs with `active` flags and curated
//! lists — becomes a spec bundle the current loader accepts, and `--check` proves that building
//! it reproduces the same (stage, gen_id) members.
//!
//! Both migrations first describe the source cohort as `Chains` (every evaluation with its
//! essay and draft, and the values their gen_ids derive from), then write a spec whose build
//! yields those chains. A member whose gen_id the build cannot reproduce (a legacy random id, or
//! metadata that derives another id) is named before anything is written.

pub mod combos;
pub mod flags;
pub mod legacy;
pub mod membership;
pub mod strip;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::catalog::import::NoProgress;
use crate::catalog::{LegacyFlags, import_all_with};
use crate::cohort;
use crate::csvread::{CsvError, CsvReader, Dialect, RawRecord};
use crate::error::{DataErrorKind, Error, Location, MigrateError, RenamedId, Result, UsageError};
use crate::ids::CohortId;
use crate::ids::{self, Replicate, Stage};
use crate::record;
use crate::store::Store;

/// The ten columns of a migrated cohort row, in the reference tool's `AXIS_ORDER`
/// (docs/reference.md §5.2).
pub const AXIS_ORDER: [&str; 10] = [
    "combo_id",
    "draft_template",
    "draft_llm",
    "draft_replicate",
    "essay_template",
    "essay_llm",
    "essay_replicate",
    "evaluation_template",
    "evaluation_llm",
    "evaluation_replicate",
];

/// The file that maps old gen_ids to new ones when `--allow-new-ids` lets members change id.
pub const GEN_ID_MAP_NAME: &str = "gen_id_map.csv";

/// Options both migrations take.
#[derive(Debug, Clone)]
pub struct Options {
    /// The spec folder to write.
    pub out: PathBuf,
    /// Replace an existing spec folder.
    pub force: bool,
    /// Write the spec even when some members cannot keep their gen_id.
    pub allow_new_ids: bool,
}

/// A draft of the source cohort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Draft {
    pub combo: String,
    pub template: String,
    pub llm: String,
    pub rep: Replicate,
    /// Its gen_id in the source.
    pub gen_id: String,
    /// The gen_id a build of the migrated spec derives for it.
    pub rebuilt: String,
}

/// An essay of the source cohort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Essay {
    /// Index into [`Chains::drafts`].
    pub draft: usize,
    pub template: String,
    pub llm: String,
    pub rep: Replicate,
    pub gen_id: String,
    pub rebuilt: String,
}

/// An evaluation of the source cohort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Evaluation {
    /// Index into [`Chains::essays`].
    pub essay: usize,
    pub template: String,
    pub llm: String,
    pub rep: Replicate,
    pub gen_id: String,
    pub rebuilt: String,
}

/// A source cohort as draft → essay → evaluation chains, each list in creation order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chains {
    pub drafts: Vec<Draft>,
    pub essays: Vec<Essay>,
    pub evaluations: Vec<Evaluation>,
}

fn id_of(
    stage: Stage,
    signature: std::result::Result<String, ids::SignatureError>,
) -> Result<String> {
    signature
        .map(|sig| ids::gen_id(stage, &sig, 0))
        .map_err(|e| {
            UsageError::BadSignature {
                stage,
                reason: e.to_string(),
            }
            .into()
        })
}

/// The deterministic draft id (collision index 0).
pub(crate) fn draft_id(combo: &str, template: &str, llm: &str, rep: &Replicate) -> Result<String> {
    id_of(
        Stage::Draft,
        ids::draft_signature(combo, template, llm, rep),
    )
}

/// The deterministic essay id.
pub(crate) fn essay_id(draft: &str, template: &str, rep: &Replicate) -> Result<String> {
    id_of(Stage::Essay, ids::essay_signature(draft, template, rep))
}

/// The deterministic evaluation id.
pub(crate) fn evaluation_id(
    essay: &str,
    template: &str,
    llm: &str,
    rep: &Replicate,
) -> Result<String> {
    id_of(
        Stage::Evaluation,
        ids::evaluation_signature(essay, template, llm, rep),
    )
}

/// Why a member cannot keep its gen_id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenameReason {
    /// A legacy random id (16 base-36 characters, no prefix; docs/reference.md §5.1).
    LegacyId,
    /// Its parent's id changes, and its own derives from it.
    ParentRenamed,
    /// Its values derive another id (edited metadata, or a collision suffix).
    ValuesDiffer,
}

impl RenameReason {
    fn describe(self) -> &'static str {
        match self {
            RenameReason::LegacyId => "a legacy id, not derived from its values",
            RenameReason::ParentRenamed => "its parent's id changes",
            RenameReason::ValuesDiffer => "its metadata derives another id",
        }
    }
}

/// A member whose gen_id a build of the migrated spec does not reproduce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renamed {
    /// The stage.
    pub stage: Stage,
    /// Its id in the source.
    pub old: String,
    /// The id a build gives it.
    pub new: String,
    /// Why.
    pub reason: RenameReason,
}

fn reason(gen_id: &str, parent_renamed: bool) -> RenameReason {
    if ids::is_legacy_gen_id(gen_id) {
        RenameReason::LegacyId
    } else if parent_renamed {
        RenameReason::ParentRenamed
    } else {
        RenameReason::ValuesDiffer
    }
}

impl Chains {
    /// The members in membership order (drafts, essays, evaluations, each in creation order),
    /// without repeats, as `(stage, source gen_id, rebuilt gen_id)`.
    pub(crate) fn members(&self) -> Vec<(Stage, &str, &str)> {
        let mut seen: HashSet<(Stage, &str)> = HashSet::new();
        let drafts = self
            .drafts
            .iter()
            .map(|d| (Stage::Draft, d.gen_id.as_str(), d.rebuilt.as_str()));
        let essays = self
            .essays
            .iter()
            .map(|e| (Stage::Essay, e.gen_id.as_str(), e.rebuilt.as_str()));
        let evaluations = self
            .evaluations
            .iter()
            .map(|v| (Stage::Evaluation, v.gen_id.as_str(), v.rebuilt.as_str()));
        drafts
            .chain(essays)
            .chain(evaluations)
            .filter(|(stage, id, _)| seen.insert((*stage, id)))
            .collect()
    }

    /// An essay with its draft: the first seven values of [`AXIS_ORDER`].
    pub(crate) fn essay_row(&self, e: &Essay) -> Vec<String> {
        let d = &self.drafts[e.draft];
        vec![
            d.combo.clone(),
            d.template.clone(),
            d.llm.clone(),
            d.rep.to_string(),
            e.template.clone(),
            e.llm.clone(),
            e.rep.to_string(),
        ]
    }

    /// An evaluation with its essay and draft: the ten values of [`AXIS_ORDER`].
    pub(crate) fn evaluation_row(&self, v: &Evaluation) -> Vec<String> {
        let mut row = self.essay_row(&self.essays[v.essay]);
        row.extend([v.template.clone(), v.llm.clone(), v.rep.to_string()]);
        row
    }

    /// Members per stage.
    pub(crate) fn counts(&self) -> [u64; 3] {
        let mut counts = [0u64; 3];
        for (stage, _, _) in self.members() {
            counts[stage as usize] += 1;
        }
        counts
    }

    /// The members whose gen_id a build does not reproduce, in membership order.
    pub(crate) fn renamed(&self) -> Vec<Renamed> {
        let mut seen: HashSet<(Stage, String)> = HashSet::new();
        let mut out = Vec::new();
        let mut push = |stage: Stage, old: &str, new: &str, parent_renamed: bool| {
            if old != new && seen.insert((stage, old.to_string())) {
                out.push(Renamed {
                    stage,
                    old: old.to_string(),
                    new: new.to_string(),
                    reason: reason(old, parent_renamed),
                });
            }
        };
        let draft_renamed = |d: &Draft| d.gen_id != d.rebuilt;
        for d in &self.drafts {
            push(Stage::Draft, &d.gen_id, &d.rebuilt, false);
        }
        for e in &self.essays {
            let parent = draft_renamed(&self.drafts[e.draft]);
            push(Stage::Essay, &e.gen_id, &e.rebuilt, parent);
        }
        for v in &self.evaluations {
            let essay = &self.essays[v.essay];
            push(
                Stage::Evaluation,
                &v.gen_id,
                &v.rebuilt,
                essay.gen_id != essay.rebuilt,
            );
        }
        out
    }
}

/// The refusal when members cannot keep their ids and `--allow-new-ids` was not given.
pub(crate) fn refuse_renames(renamed: &[Renamed]) -> Error {
    MigrateError::RenamedIds {
        renamed: renamed
            .iter()
            .map(|r| RenamedId {
                stage: r.stage,
                old: r.old.clone(),
                new: r.new.clone(),
                reason: r.reason.describe(),
            })
            .collect(),
        map_name: GEN_ID_MAP_NAME,
    }
    .into()
}

/// `gen_id_map.csv`: `stage,old_gen_id,new_gen_id`, one line per renamed member.
pub(crate) fn gen_id_map(renamed: &[Renamed]) -> Vec<u8> {
    let mut out = String::from("stage,old_gen_id,new_gen_id\n");
    for r in renamed {
        let _ = writeln!(out, "{},{},{}", r.stage.as_str(), r.old, r.new);
    }
    out.into_bytes()
}

/// A metadata.json a migrated member keeps from a legacy generation: one that names another
/// cohort as its origin (usually an older one that was never stored), or is laid out as older
/// pipelines wrote them (docs/decisions.md D24).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyOrigin {
    /// The member's stage.
    pub stage: Stage,
    /// The member's gen_id.
    pub gen_id: String,
    /// BLAKE3 of the file's bytes.
    pub file_blake3: [u8; 32],
    /// The `origin_cohort_id` it names (`None`: none, or not text).
    pub origin_cohort_id: Option<String>,
}

/// Whether a metadata.json is one a build of cohort `id` could have written: its origin is `id`,
/// and it has only the keys of the current layout (docs/reference.md §3.12) — text values and
/// an integer replicate. Every other kept file is recorded ([`legacy_origins`]).
fn current_layout(
    stage: Stage,
    fields: &serde_json::Map<String, serde_json::Value>,
    id: &str,
) -> bool {
    use serde_json::Value;
    let keys: &[&str] = match stage {
        Stage::Draft => &["template_id", "combo_id", "llm_model_id"],
        _ => &["template_id", "parent_gen_id", "llm_model_id"],
    };
    fields.get("origin_cohort_id").and_then(Value::as_str) == Some(id)
        && ["stage", "gen_id", "mode"]
            .iter()
            .all(|k| fields.get(*k).is_some_and(Value::is_string))
        && fields.get("replicate").is_some_and(Value::is_i64)
        && fields.iter().all(|(k, v)| {
            ["stage", "gen_id", "origin_cohort_id", "mode", "replicate"].contains(&k.as_str())
                || (keys.contains(&k.as_str()) && v.is_string())
        })
}

/// The metadata.json files of `members` under `gens_root` that are not in the current layout of
/// cohort `id` ([`current_layout`]), read through the path policy (no link below the root is
/// followed). A file that is missing or not a JSON object is skipped: `verify` reports it as it
/// finds it.
pub(crate) fn legacy_origins(
    gens_root: &Path,
    id: &CohortId,
    members: &[(Stage, String)],
) -> Result<Vec<LegacyOrigin>> {
    let Some(root) = crate::layout::Root::open(gens_root, crate::layout::Access::Read)? else {
        return Ok(Vec::new());
    };
    let mut kept = Vec::new();
    for (stage, gen_id) in members {
        if ids::GenId::parse(*stage, gen_id).is_none() {
            continue; // no path is built from an id that is not one
        }
        let Some(bytes) = root.read(&crate::layout::metadata_rel(*stage, gen_id))? else {
            continue;
        };
        let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(&bytes) else {
            continue;
        };
        if current_layout(*stage, &fields, id.as_str()) {
            continue;
        }
        kept.push(LegacyOrigin {
            stage: *stage,
            gen_id: gen_id.clone(),
            file_blake3: *blake3::hash(&bytes).as_bytes(),
            origin_cohort_id: fields
                .get("origin_cohort_id")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
        });
    }
    Ok(kept)
}

/// Records `origins` in the store, in one transaction, as found by cohort `id`'s migration
/// (`legacy_origins`, `migrations/V6__legacy_origins.sql`): `verify` then accepts those files
/// and origins (D24). A file already recorded is kept as it is.
pub fn record_origins(store: &mut Store, id: &CohortId, origins: &[LegacyOrigin]) -> Result<()> {
    use crate::error::DbContext;
    let tx = store.write_transaction()?;
    {
        let mut insert = tx
            .prepare(crate::store::queries::LEGACY_ORIGINS_INSERT)
            .db("legacy_origins_insert")?;
        for origin in origins {
            insert
                .execute(rusqlite::params![
                    origin.stage as i64,
                    origin.gen_id,
                    origin.file_blake3,
                    origin.origin_cohort_id,
                    id.as_str()
                ])
                .db("legacy_origins_insert")?;
        }
    }
    tx.commit().db("legacy_origins_insert")
}

/// Where a migration records the legacy metadata.json files its members keep: called once,
/// after every check and before the spec folder is written (nothing is recorded when a check
/// fails).
pub type RecordOrigins<'a> = &'a mut dyn FnMut(&[LegacyOrigin]) -> Result<()>;

/// What a migration wrote.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The spec folder.
    pub out: PathBuf,
    /// The files written into it (relative paths), with a short description each.
    pub files: Vec<(String, String)>,
    /// Source members per stage.
    pub counts: [u64; 3],
    /// The source members, in membership order, as the ids a build gives them.
    pub expected: Vec<(Stage, String)>,
    /// Members whose gen_id changes (only with `--allow-new-ids`).
    pub renamed: Vec<Renamed>,
    /// What the user should know: approximations, fallbacks, files changed outside the spec.
    pub notes: Vec<String>,
    /// What the source members are, for the check's report (e.g. `membership.csv`).
    pub source: String,
    /// The legacy metadata.json files the members keep, recorded in the store (D24).
    pub origins: Vec<LegacyOrigin>,
}

impl Migration {
    fn new(out: &Path, chains: &Chains, source: String) -> Migration {
        Migration {
            out: out.to_path_buf(),
            files: Vec::new(),
            counts: chains.counts(),
            expected: chains
                .members()
                .into_iter()
                .map(|(stage, _, rebuilt)| (stage, rebuilt.to_string()))
                .collect(),
            renamed: chains.renamed(),
            notes: Vec::new(),
            source,
            origins: Vec::new(),
        }
    }
}

/// A YAML double-quoted scalar: `"` and `\` escaped, control and line-separator characters as
/// `\uXXXX`, everything else raw UTF-8.
pub(crate) fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A YAML flow sequence of already-rendered scalars.
pub(crate) fn yaml_flow<I: IntoIterator<Item = String>>(items: I) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(", "))
}

/// A comment line (control characters in `text` shown as `?`, so it stays one line).
pub(crate) fn yaml_comment(out: &mut String, text: &str) {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let _ = writeln!(out, "# {clean}");
}

/// A CSV items file: a header and one record per row, LF line ends, minimal quoting.
pub(crate) fn items_csv<R: AsRef<[u8]>>(header: &[&str], rows: &[Vec<R>]) -> Vec<u8> {
    let mut out = Vec::new();
    let write = |out: &mut Vec<u8>, fields: &[&[u8]]| {
        crate::textfmt::write_csv_record(out, fields, b"\n").expect("writing to a Vec cannot fail");
    };
    let head: Vec<&[u8]> = header.iter().map(|h| h.as_bytes()).collect();
    write(&mut out, &head);
    for row in rows {
        let fields: Vec<&[u8]> = row.iter().map(AsRef::as_ref).collect();
        write(&mut out, &fields);
    }
    out
}

/// Refuses an existing spec folder unless `force` (checked before any other write).
pub(crate) fn ensure_writable(out: &Path, force: bool) -> Result<()> {
    if out.exists() && !force {
        return Err(MigrateError::SpecDirExists {
            path: out.display().to_string(),
        }
        .into());
    }
    Ok(())
}

/// Writes a spec folder as a whole through the atomic writer (`layout::write_dir`): the files
/// go to a unique temporary sibling folder first, which then replaces `out` (refused when `out`
/// exists, unless `force`).
pub(crate) fn write_spec_dir(out: &Path, files: &[(String, Vec<u8>)], force: bool) -> Result<()> {
    ensure_writable(out, force)?;
    crate::layout::write_dir(out, files)
}

/// What `--check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Members of the scratch build per stage.
    pub rebuilt: [u64; 3],
    /// Source members the build lacks.
    pub missing: Vec<(Stage, String)>,
    /// Built members the source lacks.
    pub extra: Vec<(Stage, String)>,
    /// With the same members: the first position where the order differs.
    pub order_differs_at: Option<usize>,
}

impl CheckReport {
    /// True when the build has exactly the source's members.
    pub fn passed(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty()
    }
}

/// `--check`: builds the spec in `spec_dir` into a scratch store in memory — the catalogs of
/// `data_root` imported with legacy flags left out, nothing of the user's store or files
/// touched — and compares its members with `expected`.
pub fn check(
    data_root: &Path,
    spec_dir: &Path,
    id: &CohortId,
    expected: &[(Stage, String)],
) -> Result<CheckReport> {
    let mut store = Store::open_in_memory()?;
    import_all_with(&mut store, data_root, &NoProgress, LegacyFlags::Ignore)?;
    let spec = crate::spec::load_path(spec_dir)?;
    let plan = crate::spec::resolve(&spec)?;
    cohort::build(&mut store, id, &spec, &plan, None)?;
    let conn = store.conn();
    let stored = record::load(conn, id.as_str())?.ok_or_else(|| {
        Error::internal(
            "a scratch build stores its record",
            format!("no record for {id}"),
        )
    })?;
    let members = record::load_members(conn, &stored)?;
    let built: Vec<(Stage, &str)> = members.iter().map(|m| (m.stage, m.gen_id)).collect();
    let built_set: HashSet<(Stage, &str)> = built.iter().copied().collect();
    let expected_set: HashSet<(Stage, &str)> =
        expected.iter().map(|(s, id)| (*s, id.as_str())).collect();
    let missing: Vec<(Stage, String)> = expected
        .iter()
        .filter(|(s, id)| !built_set.contains(&(*s, id.as_str())))
        .cloned()
        .collect();
    let extra: Vec<(Stage, String)> = built
        .iter()
        .filter(|m| !expected_set.contains(m))
        .map(|(s, id)| (*s, (*id).to_string()))
        .collect();
    let order_differs_at = if missing.is_empty() && extra.is_empty() {
        built
            .iter()
            .zip(expected)
            .position(|(b, (s, id))| b.0 != *s || b.1 != id)
    } else {
        None
    };
    Ok(CheckReport {
        rebuilt: stored.counts,
        missing,
        extra,
        order_differs_at,
    })
}

/// A small CSV file read whole: its header (names trimmed) and its non-blank rows with their
/// line numbers, short rows padded with empty fields.
pub(crate) struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    /// The index of column `name`.
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// Reads a CSV file as a [`Table`]; `missing` is the error for a file that does not exist.
pub(crate) fn read_table(path: &Path, missing: impl FnOnce() -> Error) -> Result<Table> {
    let file = match crate::fsutil::open_regular(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(missing()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut reader = CsvReader::new(std::io::BufReader::new(file), Dialect::default());
    let mut rec = RawRecord::default();
    let mut read = |rec: &mut RawRecord| {
        reader.read_record(rec).map_err(|e| match e {
            CsvError::UnterminatedQuote { line } => {
                Error::data(Location::line(path, line), DataErrorKind::UnterminatedQuote)
            }
            CsvError::Io(e) => Error::io(path, e),
        })
    };
    let fields = |rec: &RawRecord| -> Result<Vec<String>> {
        (0..rec.len())
            .map(|i| {
                std::str::from_utf8(rec.field(i))
                    .map(str::to_string)
                    .map_err(|_| {
                        Error::data(
                            Location::line_col(path, rec.line, i as u64 + 1),
                            DataErrorKind::NotUtf8 { at_byte: None },
                        )
                    })
            })
            .collect()
    };
    if !read(&mut rec)? || rec.is_empty() {
        return Err(Error::data(
            Location::line(path, 1),
            DataErrorKind::NoHeader,
        ));
    }
    let header: Vec<String> = fields(&rec)?.iter().map(|h| h.trim().to_string()).collect();
    let mut rows = Vec::new();
    while read(&mut rec)? {
        if rec.is_empty() {
            continue;
        }
        let mut row = fields(&rec)?;
        if row.len() < header.len() {
            row.resize(header.len(), String::new());
        }
        rows.push((rec.line, row));
    }
    Ok(Table { header, rows })
}

/// Where `cohorts/<id>/...` paths are shown from: relative to the data root.
pub(crate) fn shown(data_root: &Path, path: &Path) -> String {
    path.strip_prefix(data_root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_a_build_of_the_cohort_could_not_have_written_are_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let write = |stage: &str, id: &str, text: &str| {
            let folder = dir.path().join(stage).join(id);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(folder.join("metadata.json"), text).unwrap();
        };
        let current = r#"{"stage": "draft", "gen_id": "d_a", "origin_cohort_id": "pilot", "mode": "llm", "template_id": "t", "combo_id": "c", "llm_model_id": "m", "replicate": 1}"#;
        write("draft", "d_a", current);
        write(
            "draft",
            "d_b",
            &current.replace("\"pilot\"", "\"old-pilot\""),
        );
        write(
            "draft",
            "d_c",
            &current.replace("\"replicate\": 1", "\"replicate\": \"1\""),
        );
        write(
            "draft",
            "d_d",
            &current.replace("template_id", "draft_template"),
        );
        write(
            "essay",
            "e_e",
            &current
                .replace("\"combo_id\"", "\"parent_gen_id\"")
                .replace("\"draft\"", "\"essay\""),
        );
        write("draft", "d_f", "not json");
        let members: Vec<(Stage, String)> = [
            (Stage::Draft, "d_a"),
            (Stage::Draft, "d_b"),
            (Stage::Draft, "d_c"),
            (Stage::Draft, "d_d"),
            (Stage::Essay, "e_e"),
            (Stage::Draft, "d_f"),
            (Stage::Draft, "d_missing"),
            (Stage::Draft, "../d_a"),
        ]
        .map(|(s, id)| (s, id.to_string()))
        .to_vec();
        let id = CohortId::parse("pilot").unwrap();
        let kept = legacy_origins(dir.path(), &id, &members).unwrap();
        let ids: Vec<&str> = kept.iter().map(|k| k.gen_id.as_str()).collect();
        assert_eq!(ids, ["d_b", "d_c", "d_d"]);
        assert_eq!(kept[0].origin_cohort_id.as_deref(), Some("old-pilot"));
        let bytes = std::fs::read(dir.path().join("draft/d_b/metadata.json")).unwrap();
        assert_eq!(kept[0].file_blake3, *blake3::hash(&bytes).as_bytes());
        // No gens root: nothing kept.
        assert!(
            legacy_origins(&dir.path().join("none"), &id, &members)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn yaml_strings_are_quoted_and_escaped() {
        assert_eq!(yaml_str("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(yaml_str("ü\n"), "\"ü\\u000a\"");
        assert_eq!(yaml_flow(["x", "y"].map(yaml_str)), r#"["x", "y"]"#);
    }

    #[test]
    fn renames_say_why() {
        let draft = |gen_id: &str, rebuilt: &str| Draft {
            combo: "c".into(),
            template: "t".into(),
            llm: "m".into(),
            rep: Replicate::from(1),
            gen_id: gen_id.into(),
            rebuilt: rebuilt.into(),
        };
        let chains = Chains {
            drafts: vec![
                draft("43ftibqi56628az1", "d_new"),
                draft("d_same", "d_same"),
            ],
            essays: vec![
                Essay {
                    draft: 0,
                    template: "e".into(),
                    llm: "m".into(),
                    rep: Replicate::from(1),
                    gen_id: "e_old".into(),
                    rebuilt: "e_new".into(),
                },
                Essay {
                    draft: 1,
                    template: "e".into(),
                    llm: "m".into(),
                    rep: Replicate::from(1),
                    gen_id: "e_edited".into(),
                    rebuilt: "e_other".into(),
                },
            ],
            evaluations: Vec::new(),
        };
        let reasons: Vec<RenameReason> = chains.renamed().iter().map(|r| r.reason).collect();
        assert_eq!(
            reasons,
            [
                RenameReason::LegacyId,
                RenameReason::ParentRenamed,
                RenameReason::ValuesDiffer
            ]
        );
        assert_eq!(chains.counts(), [2, 2, 0]);
        let map = String::from_utf8(gen_id_map(&chains.renamed())).expect("utf-8");
        assert!(map.starts_with("stage,old_gen_id,new_gen_id\ndraft,43ftibqi56628az1,d_new\n"));
    }

    #[test]
    fn an_existing_spec_folder_is_kept_unless_forced() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let out = dir.path().join("spec");
        let files = vec![("config.yaml".to_string(), b"axes: {}\n".to_vec())];
        write_spec_dir(&out, &files, false).expect("writes a new folder");
        std::fs::write(out.join("extra.txt"), "x").expect("write");
        let err = write_spec_dir(&out, &files, false).expect_err("exists");
        assert!(err.to_string().starts_with("spec directory already exists"));
        write_spec_dir(&out, &files, true).expect("forced");
        assert!(
            !out.join("extra.txt").exists(),
            "the old folder was replaced"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, ["spec"], "no temporary folders are left");
    }
}
