//! `show`: what is in a stored cohort — its record, its stored spec, and a balance table: for
//! each stage and each axis (combo, template, LLM, replicate), how many members each level has,
//! with min, max and their ratio. The seeded pipeline promises balanced stats; the table makes
//! it visible (docs/cli.md `show`). Read-only; the members are counted in one streamed pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::error::{CohortLookup, DbContext, Error, ExportError, Result, UsageError};
use crate::ids::{CohortId, Replicate, Role, Stage};
use crate::layout::{check_below, create_below};
use crate::record::{Record, load_bundle};
use crate::spec::Bundle;
use crate::store::queries;

/// The axes of the balance table, by their `membership` view column.
pub const AXES: [&str; 4] = ["combo_id", "template_id", "llm_model_id", "replicate"];

/// Members per stage, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StageCounts {
    /// Drafts.
    pub draft: u64,
    /// Essays.
    pub essay: u64,
    /// Evaluations.
    pub evaluation: u64,
}

impl From<[u64; 3]> for StageCounts {
    fn from(c: [u64; 3]) -> Self {
        StageCounts {
            draft: c[0],
            essay: c[1],
            evaluation: c[2],
        }
    }
}

/// How many members one level of an axis has.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LevelCount {
    /// The level (a replicate as its decimal).
    pub level: String,
    /// Its members.
    pub members: u64,
}

/// The balance of one axis within one stage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AxisBalance {
    /// The axis (`combo_id`, `template_id`, `llm_model_id`, `replicate`).
    pub axis: String,
    /// Each level present, with its members: in first-use order, replicates ascending.
    pub levels: Vec<LevelCount>,
    /// The fewest members of a level.
    pub min: u64,
    /// The most members of a level.
    pub max: u64,
    /// `max / min` (1.0 when balanced).
    pub ratio: f64,
    /// True when every level has the same number of members.
    pub balanced: bool,
}

/// The balance table of one stage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StageBalance {
    /// The stage.
    pub stage: String,
    /// Its members.
    pub members: u64,
    /// One entry per axis, in [`AXES`] order.
    pub axes: Vec<AxisBalance>,
}

/// What `show` reports about a stored cohort.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShowReport {
    /// The cohort.
    pub cohort_id: String,
    /// The hash scheme.
    pub hash_scheme: String,
    /// The content hash.
    pub content_hash: String,
    /// The canonical spec's digest.
    pub spec_hash: String,
    /// The newest import batch the build saw.
    pub import_batch: i64,
    /// The effective shuffle seed (D8), if any, as decimal text (seeds have any size).
    pub seed: Option<String>,
    /// When it was built.
    pub created_at: String,
    /// Members per stage.
    pub counts: StageCounts,
    /// The stored spec bundle's files (the config first).
    pub spec_files: Vec<String>,
    /// The balance table, one entry per stage that has members.
    pub balance: Vec<StageBalance>,
}

/// Counts of one axis: value id (or replicate) → members, with first-use order.
struct Tally<K> {
    counts: BTreeMap<K, (usize, u64)>,
}

impl<K> Default for Tally<K> {
    fn default() -> Self {
        Tally {
            counts: BTreeMap::new(),
        }
    }
}

impl<K: Ord> Tally<K> {
    fn add(&mut self, key: K) {
        let next = self.counts.len();
        self.counts.entry(key).or_insert((next, 0)).1 += 1;
    }
}

/// The tallies of one stage: combo, template and LLM value ids, and replicates (of any size,
/// ascending by value).
#[derive(Default)]
struct StageTally {
    values: [Tally<i64>; 3],
    replicates: Tally<Replicate>,
}

/// Loads cohort `id` and counts its members per stage, axis and level.
pub fn show(conn: &Connection, id: &CohortId) -> Result<ShowReport> {
    let record =
        crate::record::load(conn, id.as_str())?.ok_or_else(|| UsageError::NoSuchCohort {
            id: id.as_str().to_string(),
            lookup: CohortLookup::Show,
            did_you_mean: crate::record::nearest_id(conn, id.as_str()),
        })?;
    let bundle = load_bundle(conn, &record)?;
    let mut spec_files: Vec<String> = vec![bundle.config.clone()];
    spec_files.extend(
        bundle
            .files
            .keys()
            .filter(|p| **p != bundle.config)
            .cloned(),
    );
    let balance = balance(conn, &record)?;
    Ok(ShowReport {
        cohort_id: record.cohort_id.clone(),
        hash_scheme: record.scheme.clone(),
        content_hash: record.content_hash.clone(),
        spec_hash: record.spec_hash.clone(),
        import_batch: record.last_batch,
        seed: record.seed.as_ref().map(|s| s.as_str().to_string()),
        created_at: record.created_at.clone(),
        counts: record.counts.into(),
        spec_files,
        balance,
    })
}

/// The texts of a cohort's role values: `texts[role][vid]`.
fn value_texts(conn: &Connection, cohort_no: i64) -> Result<Vec<Vec<String>>> {
    let mut texts = vec![Vec::new(); Role::ALL.len()];
    let mut stmt = conn
        .prepare(queries::COHORT_VALUES_SELECT)
        .db("cohort_values_select")?;
    let mut rows = stmt.query([cohort_no]).db("cohort_values_select")?;
    while let Some(r) = rows.next().db("cohort_values_select")? {
        let role: i64 = r.get("role").db("cohort_values_select")?;
        let vid: i64 = r.get("vid").db("cohort_values_select")?;
        let (Some(list), Ok(vid)) = (
            usize::try_from(role).ok().and_then(|r| texts.get_mut(r)),
            usize::try_from(vid),
        ) else {
            return Err(Error::internal(
                "a stored cohort value has a known role and a small id",
                format!("the store holds a cohort value of role {role}, id {vid}"),
            ));
        };
        if list.len() <= vid {
            list.resize(vid + 1, String::new());
        }
        list[vid] = r.get("text").db("cohort_values_select")?;
    }
    Ok(texts)
}

fn balance(conn: &Connection, record: &Record) -> Result<Vec<StageBalance>> {
    let mut tallies: Vec<StageTally> = (0..Stage::ALL.len()).map(|_| Default::default()).collect();
    let mut stmt = conn
        .prepare(queries::SHOW_MEMBER_AXES)
        .db("show_member_axes")?;
    let mut rows = stmt.query([record.cohort_no]).db("show_member_axes")?;
    while let Some(r) = rows.next().db("show_member_axes")? {
        let stage: i64 = r.get("stage").db("show_member_axes")?;
        let Some(t) = usize::try_from(stage).ok().and_then(|s| tallies.get_mut(s)) else {
            return Err(Error::internal(
                "a stored member's stage is 0, 1 or 2",
                format!("the store holds a member of unknown stage {stage}"),
            ));
        };
        for (i, column) in ["combo", "template", "llm"].iter().enumerate() {
            t.values[i].add(r.get(*column).db("show_member_axes")?);
        }
        t.replicates.add(r.get("replicate").db("show_member_axes")?);
    }
    let texts = value_texts(conn, record.cohort_no)?;
    let mut out = Vec::new();
    for (stage, tally) in Stage::ALL.into_iter().zip(tallies) {
        let roles = [Role::Combo, Role::template(stage), Role::llm(stage)];
        let members: u64 = tally.replicates.counts.values().map(|c| c.1).sum();
        if members == 0 {
            continue;
        }
        let mut axes: Vec<AxisBalance> = tally
            .values
            .into_iter()
            .zip(roles)
            .zip(AXES)
            .map(|((values, role), axis)| {
                // Levels in first-use order.
                let mut levels: Vec<(usize, LevelCount)> = values
                    .counts
                    .into_iter()
                    .map(|(vid, (first, members))| {
                        let level = usize::try_from(vid)
                            .ok()
                            .and_then(|k| texts[role.index()].get(k))
                            .cloned()
                            .unwrap_or_default();
                        (first, LevelCount { level, members })
                    })
                    .collect();
                levels.sort_by_key(|l| l.0);
                axis_balance(axis, levels.into_iter().map(|(_, l)| l).collect())
            })
            .collect();
        // Replicates ascending by value (the map's order).
        axes.push(axis_balance(
            AXES[3],
            tally
                .replicates
                .counts
                .into_iter()
                .map(|(replicate, (_, members))| LevelCount {
                    level: replicate.to_string(),
                    members,
                })
                .collect(),
        ));
        out.push(StageBalance {
            stage: stage.as_str().to_string(),
            members,
            axes,
        });
    }
    Ok(out)
}

/// The balance of an axis from its level counts.
pub fn axis_balance(axis: &str, levels: Vec<LevelCount>) -> AxisBalance {
    let min = levels.iter().map(|l| l.members).min().unwrap_or(0);
    let max = levels.iter().map(|l| l.members).max().unwrap_or(0);
    AxisBalance {
        axis: axis.to_string(),
        levels,
        min,
        max,
        ratio: if min == 0 {
            1.0
        } else {
            max as f64 / min as f64
        },
        balanced: min == max,
    }
}

/// Writes a stored spec bundle under `dir` (`show --spec-out`), through the path policy
/// (`layout::paths`): the bundle's paths are store content, so each must be plain and relative,
/// and no link below `dir` is written through. Refuses, writing nothing, when any of its files
/// already exists; each file is written once, atomically (never over a file that appeared
/// meanwhile). Returns the files written.
pub fn write_spec_bundle(bundle: &Bundle, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut existing = Vec::new();
    for path in bundle.files.keys() {
        if !crate::record::is_plain_relative(path) {
            return Err(ExportError::NotPlainRelative {
                rel: path.clone(),
                root: dir.display().to_string(),
            }
            .into());
        }
        if check_below(dir, Path::new(path), true)? {
            existing.push(dir.join(path).display().to_string());
        }
    }
    if !existing.is_empty() {
        return Err(ExportError::SpecFilesExist {
            dir: dir.display().to_string(),
            existing,
        }
        .into());
    }
    let mut written = Vec::new();
    for (path, bytes) in &bundle.files {
        let rel = Path::new(path);
        create_below(dir, rel.parent().unwrap_or(Path::new("")))?;
        let target = dir.join(rel);
        if !crate::layout::write_new(&target, bytes)? {
            return Err(ExportError::AppearedWhileWriting {
                path: target.display().to_string(),
            }
            .into());
        }
        written.push(target);
    }
    Ok(written)
}

/// The stored spec bundle of cohort `id`.
pub fn stored_bundle(conn: &Connection, id: &CohortId) -> Result<Bundle> {
    let record =
        crate::record::load(conn, id.as_str())?.ok_or_else(|| UsageError::NoSuchCohort {
            id: id.as_str().to_string(),
            lookup: CohortLookup::Bundle,
            did_you_mean: crate::record::nearest_id(conn, id.as_str()),
        })?;
    load_bundle(conn, &record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels(counts: &[u64]) -> Vec<LevelCount> {
        counts
            .iter()
            .enumerate()
            .map(|(i, &members)| LevelCount {
                level: format!("l{i}"),
                members,
            })
            .collect()
    }

    #[test]
    fn an_axis_is_balanced_when_every_level_has_the_same_count() {
        let b = axis_balance("template_id", levels(&[4, 4, 4]));
        assert!(b.balanced);
        assert_eq!((b.min, b.max, b.ratio), (4, 4, 1.0));
        let b = axis_balance("template_id", levels(&[2, 6]));
        assert!(!b.balanced);
        assert_eq!((b.min, b.max, b.ratio), (2, 6, 3.0));
    }

    #[test]
    fn the_spec_bundle_is_never_written_over_an_existing_file() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let bundle = Bundle {
            config: "config.yaml".into(),
            files: [
                ("config.yaml".to_string(), b"axes: {}\n".to_vec()),
                ("items/x.csv".to_string(), b"a\n".to_vec()),
            ]
            .into(),
        };
        let written = write_spec_bundle(&bundle, dir.path()).expect("an empty folder");
        assert_eq!(written.len(), 2);
        std::fs::write(dir.path().join("config.yaml"), "mine").expect("write");
        let other = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(other.path().join("config.yaml"), "mine").expect("write");
        assert!(write_spec_bundle(&bundle, other.path()).is_err());
        assert_eq!(
            std::fs::read_to_string(other.path().join("config.yaml")).expect("read"),
            "mine"
        );
        assert!(!other.path().join("items").exists());
    }
}
