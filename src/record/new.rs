//! What a build computes before anything is stored, and what the gen_id registry records
//! for each member (D1, D2, D12). `record::write` stores it.

use crate::ids::Stage;
use crate::record::canonical::ContentHash;
use crate::seed::Seed;

/// What a build computes before anything is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Computed {
    /// Members per stage (drafts, essays, evaluations).
    pub counts: [u64; 3],
    /// `manifest.json`, exactly as exported.
    pub manifest: String,
    /// Template modes: `(stage, template_id, mode)`.
    pub modes: Vec<(Stage, String, String)>,
    /// The effective shuffle seed.
    pub seed: Option<Seed>,
    /// The newest import batch the computation saw.
    pub last_batch: i64,
    /// The cohort's build number: registry entries of earlier cohorts were consulted.
    pub cohort_no: i64,
    /// Component digests and the content hash (D12).
    pub hashes: Hashes,
    /// What the registry records for each member, sorted by gen_id (empty unless asked for).
    pub registry: Vec<RegistryEntry>,
    /// How many members reuse gen_ids of each earlier cohort: the record's `cohort_reuse` rows
    /// (set by a build's registry agreement check; empty until then).
    pub reuse: Vec<Reuse>,
}

/// How many of a cohort's members reuse gen_ids that one earlier cohort registered (a
/// `cohort_reuse` row, `migrations/V4__cohort_reuse.sql`; docs/storage.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Reuse {
    /// The earlier cohort's build number.
    pub earlier_no: i64,
    /// How many members reuse its gen_ids.
    pub shared: u64,
}

/// One member as the gen_id registry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    gen_id: [u8; 24],
    len: u8,
    /// The collision index the gen_id was issued with.
    pub collision: u8,
    /// The member's ordinal in its cohort.
    pub ordinal: u32,
    /// The first 16 bytes of BLAKE3 over the signature.
    pub digest: [u8; 16],
}

impl RegistryEntry {
    /// An entry for `gen_id`, issued with `collision`, at `ordinal`, for `signature`.
    pub fn new(gen_id: &str, collision: i64, ordinal: u32, signature: &str) -> Self {
        let mut buf = [0u8; 24];
        let len = gen_id.len().min(24);
        buf[..len].copy_from_slice(&gen_id.as_bytes()[..len]);
        RegistryEntry {
            gen_id: buf,
            len: len as u8,
            collision: collision as u8,
            ordinal,
            digest: crate::store::functions::signature_digest(signature),
        }
    }

    /// The gen_id.
    pub fn gen_id(&self) -> &str {
        // Only valid UTF-8 (an ASCII gen_id) is ever copied in.
        std::str::from_utf8(&self.gen_id[..self.len as usize]).expect("gen_ids are ASCII")
    }
}

/// The digests of a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hashes {
    /// The canonical spec.
    pub spec: ContentHash,
    /// The members in order.
    pub members: ContentHash,
    /// `manifest.json`.
    pub manifest: ContentHash,
    /// The referenced catalog rows.
    pub catalog: ContentHash,
    /// The content hash over all of them and the cohort id.
    pub content: ContentHash,
}

/// Which stored digests a recomputation differs in (D12): the one comparison of stored and
/// recomputed hashes that `build` (D14) and `verify` report from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct HashDiff {
    /// The content hash differs.
    pub content: bool,
    /// The canonical spec differs.
    pub spec: bool,
    /// The members differ.
    pub members: bool,
    /// `manifest.json` differs.
    pub manifest: bool,
    /// The referenced catalog rows differ.
    pub catalog: bool,
}

impl Hashes {
    /// Compares these digests with a stored record's.
    pub fn compare(&self, record: &super::Record) -> HashDiff {
        HashDiff {
            content: self.content.to_hex() != record.content_hash,
            spec: self.spec.to_hex() != record.spec_hash,
            members: self.members.to_hex() != record.members_hash,
            manifest: self.manifest.to_hex() != record.manifest_hash,
            catalog: self.catalog.to_hex() != record.catalog_hash,
        }
    }
}
