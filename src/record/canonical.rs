//! The canonical, versioned byte encoding a cohort's content hash is computed over (D12),
//! documented byte by byte in `docs/hashing.md`.
//!
//! Primitives: a string is its UTF-8 length as u64 little-endian then its bytes; integers are
//! 8 bytes little-endian (two's complement); an optional value is `0x00`, or `0x01` then the
//! value; a level value is `0x01` + i64 (integer), `0x02` + string, or `0x03` + u64 count +
//! values (tuple). Each component is hashed on its own with BLAKE3, starting with its domain
//! string (`cohortdb-v1/spec`, …); the content hash is BLAKE3 over the domain
//! `cohortdb-v1/cohort`, the cohort id, and the four component digests.
//!
//! All five domains are computed here or beside: [`spec_hash`], [`MembersHasher`],
//! [`manifest_hash`] and [`content_hash`] in this module; the catalog digest in
//! [`super::catalog`], which first gathers the referenced rows as data (`referenced_rows` →
//! `ReferencedRows`, which `diff` also compares row by row), then encodes them
//! (`ReferencedRows::digest`, [`catalog_hash`]).

use std::fmt;

use super::members::Member;
use crate::ids::Replicate;
use crate::seed::Seed;
use crate::spec::{RuleKind, Spec, Value};

pub use super::catalog::catalog_hash;

/// The hash scheme stored in every record.
pub const SCHEME: &str = "cohortdb-v1";

/// A BLAKE3 digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<ContentHash> {
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, chunk) in text.as_bytes().chunks(2).enumerate() {
            let s = std::str::from_utf8(chunk).ok()?;
            out[i] = u8::from_str_radix(s, 16).ok()?;
        }
        Some(ContentHash(out))
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Streams the canonical encoding into BLAKE3. Small writes are gathered in a buffer first:
/// a member is a dozen writes of a few bytes, and BLAKE3's per-call cost would dominate.
pub struct Encoder {
    hasher: Buffered,
}

struct Buffered {
    hasher: blake3::Hasher,
    buf: Vec<u8>,
}

impl Buffered {
    const FLUSH_AT: usize = 1 << 16;

    fn update(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= Self::FLUSH_AT {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
    }

    fn finalize(mut self) -> blake3::Hash {
        self.hasher.update(&self.buf);
        self.hasher.finalize()
    }
}

impl Encoder {
    /// An encoder for one component; the domain string comes first.
    pub fn new(domain: &str) -> Self {
        let mut e = Encoder {
            hasher: Buffered {
                hasher: blake3::Hasher::new(),
                buf: Vec::with_capacity(Buffered::FLUSH_AT + 4096),
            },
        };
        e.str(domain);
        e
    }

    /// A u64, little-endian.
    pub fn u64(&mut self, n: u64) {
        self.hasher.update(&n.to_le_bytes());
    }

    /// An i64, little-endian two's complement.
    pub fn i64(&mut self, n: i64) {
        self.hasher.update(&n.to_le_bytes());
    }

    /// A length-prefixed byte string.
    pub fn bytes(&mut self, b: &[u8]) {
        self.u64(b.len() as u64);
        self.hasher.update(b);
    }

    /// A length-prefixed UTF-8 string.
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// An optional string.
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => {
                self.hasher.update(&[0]);
            }
            Some(s) => {
                self.hasher.update(&[1]);
                self.str(s);
            }
        }
    }

    /// An optional integer.
    pub fn opt_i64(&mut self, n: Option<i64>) {
        match n {
            None => {
                self.hasher.update(&[0]);
            }
            Some(n) => {
                self.hasher.update(&[1]);
                self.i64(n);
            }
        }
    }

    /// An optional seed: `opt_i64` for a seed that fits an `i64` (the bytes every earlier record
    /// was hashed with), else `0x02` then its canonical decimal text (docs/decisions.md D23).
    pub fn opt_seed(&mut self, seed: Option<&Seed>) {
        match seed {
            None => self.opt_i64(None),
            Some(seed) => match seed.as_i64() {
                Some(n) => self.opt_i64(Some(n)),
                None => {
                    self.hasher.update(&[2]);
                    self.str(seed.as_str());
                }
            },
        }
    }

    /// A replicate (any size, D23): `i64` when it fits, the bytes every earlier record was
    /// hashed with; else `i64(0)` — never a replicate, since a member's is at least 1 — then
    /// `str` of its canonical decimal text (docs/hashing.md).
    pub fn replicate(&mut self, replicate: &Replicate) {
        match replicate.big_text() {
            None => self.i64(replicate.as_i64().unwrap_or_default()),
            Some(text) => {
                self.i64(0);
                self.str(text);
            }
        }
    }

    /// One tag byte.
    pub fn tag(&mut self, t: u8) {
        self.hasher.update(&[t]);
    }

    /// A 32-byte digest (no length prefix).
    pub fn digest(&mut self, h: &ContentHash) {
        self.hasher.update(&h.0);
    }

    /// A level value.
    pub fn value(&mut self, v: &Value) {
        match v {
            Value::Int(i) => {
                self.tag(1);
                self.i64(*i);
            }
            Value::Str(s) => {
                self.tag(2);
                self.str(s);
            }
            Value::Tuple(items) => {
                self.tag(3);
                self.u64(items.len() as u64);
                for item in items {
                    self.value(item);
                }
            }
        }
    }

    /// A list of strings.
    pub fn str_list<S: AsRef<str>>(&mut self, items: &[S]) {
        self.u64(items.len() as u64);
        for item in items {
            self.str(item.as_ref());
        }
    }

    /// The digest.
    pub fn finish(self) -> ContentHash {
        ContentHash(*self.hasher.finalize().as_bytes())
    }
}

/// The canonical form of a loaded spec: its explicit axes in order with their levels as
/// written, its rules in application order, `field_order`, and the effective seed. Comments,
/// quoting, layout, the order of keys whose order means nothing, and whether values were
/// inline or included do not change it (D12).
pub fn spec_hash(spec: &Spec, seed: Option<&Seed>) -> ContentHash {
    let mut e = Encoder::new("cohortdb-v1/spec");
    let explicit: Vec<_> = spec
        .axes
        .iter()
        .filter(|a| a.derived_from.is_none())
        .collect();
    e.u64(explicit.len() as u64);
    for axis in explicit {
        e.str(&axis.name);
        e.u64(axis.levels.len() as u64);
        for level in &axis.levels {
            e.value(&level.value);
        }
    }
    e.u64(spec.rules.len() as u64);
    for rule in &spec.rules {
        match &rule.kind {
            RuleKind::Subset { axis, keep } => {
                e.tag(1);
                e.str(axis);
                e.u64(keep.len() as u64);
                for level in keep {
                    e.value(&level.value);
                }
            }
            RuleKind::Tie { to, axes } => {
                e.tag(2);
                e.str(to);
                e.str_list(axes);
            }
            RuleKind::Pair {
                name,
                left,
                right,
                allowed,
                balance,
            } => {
                e.tag(3);
                e.str(name);
                e.str(left);
                e.str(right);
                e.u64(allowed.len() as u64);
                for entry in allowed {
                    e.value(&entry.left);
                    e.value(&entry.right);
                }
                e.opt_str(balance.as_deref());
            }
            RuleKind::Tuple { name, axes, items } => {
                e.tag(4);
                e.str(name);
                e.str_list(axes);
                e.u64(items.len() as u64);
                for item in items {
                    e.u64(item.values.len() as u64);
                    for value in &item.values {
                        e.value(value);
                    }
                }
            }
        }
    }
    e.str_list(&spec.field_order);
    e.opt_seed(seed);
    e.finish()
}

/// The content hash of a cohort from its component digests.
pub fn content_hash(
    cohort_id: &str,
    spec: &ContentHash,
    members: &ContentHash,
    manifest: &ContentHash,
    catalog: &ContentHash,
) -> ContentHash {
    let mut e = Encoder::new("cohortdb-v1/cohort");
    e.str(cohort_id);
    for digest in [spec, members, manifest, catalog] {
        e.digest(digest);
    }
    e.finish()
}

/// The manifest component: the exact bytes of `manifest.json`.
pub fn manifest_hash(manifest_json: &str) -> ContentHash {
    let mut e = Encoder::new("cohortdb-v1/manifest");
    e.str(manifest_json);
    e.finish()
}

/// The members component (D12): the member count, then each member in membership order —
/// stage, gen_id, parent (optional), combo, template, LLM, replicate.
pub struct MembersHasher {
    e: Encoder,
}

impl MembersHasher {
    /// Starts the members digest of `total` members.
    pub fn new(total: u64) -> Self {
        let mut e = Encoder::new("cohortdb-v1/members");
        e.u64(total);
        MembersHasher { e }
    }

    /// Adds the next member.
    pub fn member(&mut self, m: &Member<'_>) {
        let e = &mut self.e;
        e.str(m.stage.as_str());
        e.str(m.gen_id);
        e.opt_str(m.parent_gen_id);
        e.str(m.combo_id);
        e.str(m.template_id);
        e.str(m.llm_model_id);
        e.replicate(m.replicate);
    }

    /// The members digest.
    pub fn finish(self) -> ContentHash {
        self.e.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_fixed() {
        // Pins the primitive layout: changing it changes every stored hash.
        let mut e = Encoder::new("d");
        e.str("ab");
        e.i64(-1);
        e.opt_str(None);
        e.value(&Value::Tuple(vec![Value::Int(1), Value::Str("x".into())]));
        let mut expected = Vec::new();
        expected.extend(1u64.to_le_bytes());
        expected.extend(b"d");
        expected.extend(2u64.to_le_bytes());
        expected.extend(b"ab");
        expected.extend((-1i64).to_le_bytes());
        expected.push(0);
        expected.push(3);
        expected.extend(2u64.to_le_bytes());
        expected.push(1);
        expected.extend(1i64.to_le_bytes());
        expected.push(2);
        expected.extend(1u64.to_le_bytes());
        expected.extend(b"x");
        assert_eq!(e.finish().0, *blake3::hash(&expected).as_bytes());
    }

    #[test]
    fn hex_round_trip() {
        let h = manifest_hash("{}");
        assert_eq!(ContentHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(ContentHash::from_hex("xyz"), None);
    }
}
/// The worked example of docs/hashing.md, pinned.
#[cfg(test)]
mod documented_example {
    use super::*;

    #[test]
    fn the_worked_example_in_the_docs_holds() {
        use std::collections::BTreeMap;
        let mut files = BTreeMap::new();
        files.insert(
            "config.yaml".to_string(),
            b"axes: {a: [x, 1]}\noutput: {field_order: []}\n".to_vec(),
        );
        let spec = crate::spec::load_bundle(
            &crate::spec::Bundle {
                config: "config.yaml".into(),
                files,
            },
            "s",
        )
        .unwrap();
        let spec = spec_hash(&spec, None);
        assert_eq!(
            spec.to_hex(),
            "f37ee46dbc0c15bf06d7c3bd508d1076d3d1e25eaad71699f76fc7350337e5e0"
        );
        let manifest = manifest_hash("{}");
        assert_eq!(
            manifest.to_hex(),
            "001c71c095a304395b2f3c932bcd10e44dc795ae62334302f56e0888775fdb0c"
        );
        let mut hasher = MembersHasher::new(1);
        hasher.member(&crate::record::Member {
            stage: crate::ids::Stage::Draft,
            gen_id: "d_21hnyjluy35totlo",
            parent_gen_id: None,
            combo_id: "combo-1",
            template_id: "draft-A",
            llm_model_id: "gen-model",
            replicate: &Replicate::from(1),
        });
        let members = hasher.finish();
        assert_eq!(
            members.to_hex(),
            "b96cfc10426316bf2de4ad4232ad48d54ae6bfb52469d6921566449437cdaf07"
        );
        let content = content_hash("demo", &spec, &members, &manifest, &manifest);
        assert_eq!(
            content.to_hex(),
            "77ba29f2cd071fec2a5a4297726561ff5d37d9c6a916947c68e466cd99d6b530"
        );
    }

    #[test]
    fn a_replicate_beyond_64_bits_is_tagged_by_zero_then_its_digits() {
        // Written out byte by byte as docs/hashing.md gives it, then hashed with BLAKE3 alone.
        let s = |x: &str| [&(x.len() as u64).to_le_bytes()[..], x.as_bytes()].concat();
        let mut bytes = s("cohortdb-v1/members");
        bytes.extend(1u64.to_le_bytes());
        for part in ["draft", "d_x", ""] {
            if part.is_empty() {
                bytes.push(0);
            } else {
                bytes.extend(s(part));
            }
        }
        for part in ["combo-1", "draft-A", "gen-model"] {
            bytes.extend(s(part));
        }
        bytes.extend(0i64.to_le_bytes());
        bytes.extend(s("99999999999999999999"));
        let mut hasher = MembersHasher::new(1);
        hasher.member(&crate::record::Member {
            stage: crate::ids::Stage::Draft,
            gen_id: "d_x",
            parent_gen_id: None,
            combo_id: "combo-1",
            template_id: "draft-A",
            llm_model_id: "gen-model",
            replicate: &Replicate::parse("99999999999999999999").expect("an integer"),
        });
        assert_eq!(hasher.finish().0, *blake3::hash(&bytes).as_bytes());
    }
}
