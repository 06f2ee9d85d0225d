//! The stored cohort that export and verify read: the record with its spec bundle, template
//! modes and members ([`Stored`]). (A spec folder on disk is compared with the stored bundle by
//! `layout::spec`, through the path policy.)

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use rusqlite::Connection;

use super::members::{Members, RowProblem, load_members};
use super::{Record, load, load_bundle, load_modes};
use crate::error::{CohortLookup, Result, UsageError};
use crate::ids::{CohortId, Stage};
use crate::spec::Bundle;

/// Whether [`Stored::load_with`] reads the member rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRows {
    /// Read every member (export writes them, verify re-hashes them).
    Load,
    /// Leave `members` empty (callers that need only the record, bundle and modes).
    Skip,
}

/// A stored cohort with everything export and verify need.
pub struct Stored {
    /// The record.
    pub record: Record,
    /// The spec bundle.
    pub bundle: Bundle,
    /// Template modes by (stage, template_id).
    pub modes: BTreeMap<(String, String), String>,
    /// The members.
    pub members: Members,
    /// Spec files whose stored BLAKE3 column is not the digest of their stored content.
    pub spec_digest_mismatches: Vec<String>,
}

impl Stored {
    /// Loads a stored cohort with all its rows (export writes them, verify re-hashes them), or
    /// says it does not exist.
    pub fn load(conn: &Connection, id: &CohortId) -> Result<Stored> {
        Stored::load_with(conn, id, MemberRows::Load)
    }

    /// Loads a stored cohort; its members only with [`MemberRows::Load`] (`status` reads the
    /// record, bundle and modes of a 1M-member cohort without its member rows).
    pub fn load_with(conn: &Connection, id: &CohortId, members: MemberRows) -> Result<Stored> {
        let record = load(conn, id.as_str())?.ok_or_else(|| UsageError::NoSuchCohort {
            id: id.as_str().to_string(),
            lookup: CohortLookup::Stored,
            did_you_mean: super::nearest_id(conn, id.as_str()),
        })?;
        let bundle = load_bundle(conn, &record)?;
        let modes = load_modes(conn, record.cohort_no)?;
        let members = match members {
            MemberRows::Load => load_members(conn, &record)?,
            MemberRows::Skip => Members::default(),
        };
        let spec_digest_mismatches = super::spec_digest_mismatches(conn, record.cohort_no)?;
        Ok(Stored {
            record,
            bundle,
            modes,
            members,
            spec_digest_mismatches,
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

/// How the stored rows of a record differ from what its hash covers: each is a stored row that
/// is not part of the canonical record (docs/export-verify.md, "What verify checks").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RowDiff {
    /// Rows that cannot be part of a canonical record at all.
    Rows {
        /// How many.
        count: u64,
        /// The first few.
        sample: Vec<RowProblem>,
    },
    /// The stored members do not hash to the record's members digest.
    MembersHash {
        /// The record's members digest.
        record: String,
        /// The digest of the stored members.
        stored: String,
    },
    /// The members per stage differ from the record's counts.
    Counts {
        /// The record's counts.
        record: [u64; 3],
        /// The stored members per stage.
        stored: [u64; 3],
    },
    /// The stored manifest does not hash to the record's manifest digest.
    ManifestHash,
    /// The record's component digests do not give its content hash.
    ContentHash,
    /// The stored spec bundle does not load, or its canonical form is not the record's spec
    /// digest.
    Spec {
        /// Why (the loader's error), or `None` when it loads with another canonical form.
        error: Option<String>,
    },
    /// The record names another hash scheme than this version computes.
    Scheme {
        /// The stored scheme.
        stored: String,
    },
    /// A stored template mode differs from the mode the catalogs give (as of the build).
    Mode {
        /// The stage.
        stage: String,
        /// The template.
        template_id: String,
        /// The stored mode (`None`: no row).
        stored: Option<String>,
        /// The mode the catalogs give (`None`: the cohort uses no such template).
        expected: Option<String>,
    },
    /// A `cohort_reuse` count is not what the stored members and the registry give.
    Reuse {
        /// The earlier cohort's build number.
        earlier_no: i64,
        /// Its cohort id (`None`: no record has that number).
        earlier_cohort: Option<String>,
        /// The stored count (0: no row).
        stored: u64,
        /// The count from the stored members (0: none reuses its gen_ids).
        recounted: u64,
    },
}

impl fmt::Display for RowDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowDiff::Rows { count, sample } => {
                let shown: Vec<String> = sample.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "{count} stored row(s) cannot be part of the record: {}",
                    shown.join("; ")
                )?;
                if *count > sample.len() as u64 {
                    write!(f, "; and {} more", *count - sample.len() as u64)?;
                }
                Ok(())
            }
            RowDiff::MembersHash { record, stored } => write!(
                f,
                "the stored members hash to {stored}, not to the record's members digest {record}"
            ),
            RowDiff::Counts { record, stored } => write!(
                f,
                "the stored members per stage are {stored:?}, the record says {record:?} (draft, essay, evaluation)"
            ),
            RowDiff::ManifestHash => {
                f.write_str("the stored manifest does not hash to the record's manifest digest")
            }
            RowDiff::ContentHash => {
                f.write_str("the record's component digests do not give its content hash")
            }
            RowDiff::Spec { error: Some(e) } => {
                write!(f, "the stored spec bundle does not load: {e}")
            }
            RowDiff::Spec { error: None } => f.write_str(
                "the stored spec bundle's canonical form is not the record's spec digest",
            ),
            RowDiff::Scheme { stored } => write!(
                f,
                "the record's hash scheme is {stored:?}; this version computes {:?}",
                super::SCHEME
            ),
            RowDiff::Mode {
                stage,
                template_id,
                stored,
                expected,
            } => write!(
                f,
                "template mode of {stage} template {template_id:?}: stored {}, the catalogs give {}",
                stored
                    .as_deref()
                    .map_or("none".to_string(), |m| format!("{m:?}")),
                expected
                    .as_deref()
                    .map_or("none (not used)".to_string(), |m| format!("{m:?}")),
            ),
            RowDiff::Reuse {
                earlier_no,
                earlier_cohort,
                stored,
                recounted,
            } => {
                let earlier = match earlier_cohort {
                    Some(id) => format!("cohort {id:?} (cohort_no {earlier_no})"),
                    None => format!("cohort_no {earlier_no}, which has no record"),
                };
                write!(
                    f,
                    "cohort_reuse: the stored count says {stored} member(s) reuse gen_ids of {earlier}, the stored members give {recounted}"
                )
            }
        }
    }
}

impl Stored {
    /// Re-hashes what the store holds for the record — its members (with their values), its
    /// manifest, its counts, its spec bundle's canonical form, its template modes against
    /// `expected_modes` — and compares each
    /// with the record's digests. One streaming pass over the members; empty when every stored
    /// row is part of the canonical record.
    pub fn check_rows(&self, expected_modes: &BTreeMap<(String, String), String>) -> Vec<RowDiff> {
        let record = &self.record;
        let mut diffs = Vec::new();
        if record.scheme != super::SCHEME {
            diffs.push(RowDiff::Scheme {
                stored: record.scheme.clone(),
            });
        }
        let (problems, count) = self.members.problems();
        let mut sample = problems.to_vec();
        let mut count = count;
        let (unused, unused_count) = self.members.unused_values();
        count += unused_count;
        sample.extend(
            unused
                .into_iter()
                .map(|(role, vid)| RowProblem::UnusedValue { role, vid }),
        );
        for path in self.bundle.files.keys() {
            if !is_plain_relative(path) {
                count += 1;
                sample.push(RowProblem::UnsafeSpecPath { path: path.clone() });
            }
        }
        for path in &self.spec_digest_mismatches {
            count += 1;
            sample.push(RowProblem::SpecFileDigest { path: path.clone() });
        }
        if count > 0 {
            diffs.push(RowDiff::Rows { count, sample });
        }
        let mut hasher = super::canonical::MembersHasher::new(self.members.len() as u64);
        let mut counts = [0u64; 3];
        for member in self.members.iter() {
            counts[member.stage as usize] += 1;
            hasher.member(&member);
        }
        let members = hasher.finish();
        if members.to_hex() != record.members_hash {
            diffs.push(RowDiff::MembersHash {
                record: record.members_hash.clone(),
                stored: members.to_hex(),
            });
        }
        if counts != record.counts {
            diffs.push(RowDiff::Counts {
                record: record.counts,
                stored: counts,
            });
        }
        let label = format!("stored spec of {}", record.cohort_id);
        match crate::spec::load_bundle(&self.bundle, &label) {
            Ok(spec) => {
                let hash = super::canonical::spec_hash(&spec, record.seed.as_ref());
                if hash.to_hex() != record.spec_hash {
                    diffs.push(RowDiff::Spec { error: None });
                }
            }
            Err(e) => diffs.push(RowDiff::Spec {
                error: Some(e.to_string()),
            }),
        }
        let manifest = super::canonical::manifest_hash(&record.manifest);
        if manifest.to_hex() != record.manifest_hash {
            diffs.push(RowDiff::ManifestHash);
        }
        let digest =
            |hex: &str| super::ContentHash::from_hex(hex).unwrap_or(super::ContentHash([0; 32]));
        let content = super::canonical::content_hash(
            &record.cohort_id,
            &digest(&record.spec_hash),
            &digest(&record.members_hash),
            &digest(&record.manifest_hash),
            &digest(&record.catalog_hash),
        );
        if content.to_hex() != record.content_hash {
            diffs.push(RowDiff::ContentHash);
        }
        let keys: std::collections::BTreeSet<&(String, String)> =
            self.modes.keys().chain(expected_modes.keys()).collect();
        for key in keys {
            let (stored, expected) = (self.modes.get(key), expected_modes.get(key));
            if stored != expected {
                diffs.push(RowDiff::Mode {
                    stage: key.0.clone(),
                    template_id: key.1.clone(),
                    stored: stored.cloned(),
                    expected: expected.cloned(),
                });
            }
        }
        diffs
    }

    /// The template modes the catalogs give (as of the record's last import batch) for every
    /// template the stored members use — what `cohort_template_modes` must hold.
    pub fn expected_modes(&self, conn: &Connection) -> Result<BTreeMap<(String, String), String>> {
        let mut used: std::collections::BTreeSet<(Stage, &str)> = Default::default();
        for member in self.members.iter() {
            used.insert((member.stage, member.template_id));
        }
        let mut out = BTreeMap::new();
        for (stage, template) in used {
            let mode = super::template_mode(conn, stage, template, self.record.last_batch)?;
            out.insert((stage.as_str().to_string(), template.to_string()), mode);
        }
        Ok(out)
    }
}

/// Whether a stored spec path is a plain relative path (normal components only: no root, no
/// `..`, no `.`), so joining it to the export folder stays inside it.
pub fn is_plain_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.contains('\0')
        && Path::new(path)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}
