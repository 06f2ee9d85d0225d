//! One generation folder `gens/<stage>/<gen_id>/`: its entries, read without following links
//! (docs/reliability.md, "Pipes, special files and links"), and the facts the reference's results
//! layer takes from it (docs/reference.md, "Results" §2-§4): the metadata fields, the score or
//! its error, and whether a scores run that visits it must refuse (D25).

use std::io::Read;
use std::path::Path;

use super::pyjson::{self, PyValue};
use super::pytext;
use crate::ids::Stage;

/// The files whose content the results layer reads, in the order it reads them (§2.3).
pub const READ_ORDER: [&str; 4] = ["metadata.json", "raw.txt", "parsed.txt", "prompt.txt"];
/// The evaluation's raw-call facts, read last (§2.3).
pub const RAW_METADATA: &str = "raw_metadata.json";

/// The largest file whose content is parsed (metadata, scores); larger ones are hashed and
/// refused for scores (a limit of cohortdb, docs/reference.md "Results").
const PARSE_LIMIT: u64 = 64 << 20;

/// What an entry of a generation folder is (never followed when a link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file (read and hashed).
    File,
    /// A folder.
    Dir,
    /// A symbolic link (not followed).
    Link,
    /// A FIFO (never opened).
    Fifo,
    /// A socket.
    Socket,
    /// A character or block device (never opened).
    Device,
    /// Anything else.
    Other,
}

impl Kind {
    /// The kind of a file type, without following links.
    pub fn of(t: std::fs::FileType) -> Kind {
        #[cfg(unix)]
        use std::os::unix::fs::FileTypeExt;
        if t.is_symlink() {
            return Kind::Link;
        }
        if t.is_file() {
            return Kind::File;
        }
        if t.is_dir() {
            return Kind::Dir;
        }
        #[cfg(unix)]
        {
            if t.is_fifo() {
                return Kind::Fifo;
            }
            if t.is_socket() {
                return Kind::Socket;
            }
            if t.is_block_device() || t.is_char_device() {
                return Kind::Device;
            }
        }
        Kind::Other
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Dir => "dir",
            Kind::Link => "link",
            Kind::Fifo => "fifo",
            Kind::Socket => "socket",
            Kind::Device => "device",
            Kind::Other => "other",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Kind {
        match s {
            "file" => Kind::File,
            "dir" => Kind::Dir,
            "link" => Kind::Link,
            "fifo" => Kind::Fifo,
            "socket" => Kind::Socket,
            "device" => Kind::Device,
            _ => Kind::Other,
        }
    }

    /// Python's `Path.exists()` for this entry, except that a link counts as absent: cohortdb
    /// never follows links below the gens root (docs/reference.md "Results").
    pub fn exists(self) -> bool {
        self != Kind::Link
    }

    /// Words for messages: `is a directory`.
    fn refusal(self) -> &'static str {
        match self {
            Kind::File => "is a regular file",
            Kind::Dir => "is a directory, not a file (the reference fails with IO_ERROR)",
            Kind::Link => "is a symlink; cohortdb does not follow links below the gens root",
            Kind::Fifo => "is a FIFO; reading it would wait forever",
            Kind::Socket => "is a socket, not a file",
            Kind::Device => "is a device, not a file",
            Kind::Other => "is not a regular file",
        }
    }
}

/// What the file system says about a file: compared on the next import to decide whether its
/// bytes need reading again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stat {
    /// Size in bytes.
    pub size: i64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: i64,
    /// Status change time, ns since the epoch (changes on every write; cannot be set back).
    pub ctime_ns: i64,
    /// Inode number.
    pub inode: i64,
    /// Device number.
    pub device: i64,
}

impl Stat {
    /// From a file's metadata.
    #[cfg(unix)]
    pub fn of(m: &std::fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        Stat {
            size: m.size() as i64,
            mtime_ns: m
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(m.mtime_nsec()),
            ctime_ns: m
                .ctime()
                .saturating_mul(1_000_000_000)
                .saturating_add(m.ctime_nsec()),
            inode: m.ino() as i64,
            device: m.dev() as i64,
        }
    }

    /// From a file's metadata (size and modification time only).
    #[cfg(not(unix))]
    pub fn of(m: &std::fs::Metadata) -> Stat {
        let mtime_ns = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        Stat {
            size: m.len() as i64,
            mtime_ns,
            ctime_ns: mtime_ns,
            inode: 0,
            device: 0,
        }
    }
}

/// One entry of a generation folder as listed (no content read yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file name.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// Its stat (regular files; zeros otherwise).
    pub stat: Stat,
}

/// A file as the ledger records it in a version: name, kind, size and BLAKE3 (regular files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    /// The file name.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// Size in bytes (regular files).
    pub size: Option<i64>,
    /// BLAKE3 of the bytes (regular files).
    pub blake3: Option<[u8; 32]>,
}

/// How a read file's text turned out.
#[derive(Debug, Clone, PartialEq)]
enum Text {
    /// Not there.
    Absent,
    /// Strict UTF-8, newlines translated; `None` when larger than the parse limit.
    Ok(Option<String>),
    /// The reference's read would fail.
    Refused(String),
}

/// Lists a generation folder's entries (sorted by name), without following links. Names that
/// are not UTF-8 are returned separately (no membership can name them).
pub fn list(dir: &Path) -> std::io::Result<(Vec<Entry>, Vec<std::ffi::OsString>)> {
    let mut entries = Vec::new();
    let mut odd = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(text) = name.to_str() else {
            odd.push(name);
            continue;
        };
        let meta = match std::fs::symlink_metadata(entry.path()) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let kind = Kind::of(meta.file_type());
        entries.push(Entry {
            name: text.to_string(),
            kind,
            stat: if kind == Kind::File {
                Stat::of(&meta)
            } else {
                Stat::default()
            },
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((entries, odd))
}

/// Opens a regular file for reading without following a link and without blocking on a FIFO
/// swapped in since it was listed.
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(crate::fsutil::not_regular(meta.file_type()));
        }
        crate::fsutil::clear_nonblocking(&file)?;
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        crate::fsutil::open_regular(path)
    }
}

/// A read regular file: its hash, size and (when asked for) its content.
struct Read_ {
    blake3: [u8; 32],
    size: i64,
    stat: Stat,
    /// Whether the bytes are strict UTF-8, and where the first bad byte is.
    utf8: Result<(), (u8, usize)>,
    /// The bytes, when kept and within the parse limit.
    bytes: Option<Vec<u8>>,
}

/// Reads a regular file once: hashes it, checks UTF-8 as it streams, and keeps the bytes when
/// `keep` (up to the parse limit).
fn read_file(path: &Path, keep: bool) -> std::io::Result<Read_> {
    let mut file = open_no_follow(path)?;
    let stat = Stat::of(&file.metadata()?);
    let mut hasher = blake3::Hasher::new();
    let mut kept = keep.then(Vec::new);
    let mut buf = vec![0u8; 64 << 10];
    let mut carry: Vec<u8> = Vec::new();
    let mut offset = 0usize;
    let mut utf8 = Ok(());
    let mut size: u64 = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        hasher.update(chunk);
        size += n as u64;
        if let Some(k) = kept.as_mut() {
            if size <= PARSE_LIMIT {
                k.extend_from_slice(chunk);
            } else {
                kept = None;
            }
        }
        if utf8.is_ok() {
            carry.extend_from_slice(chunk);
            match std::str::from_utf8(&carry) {
                Ok(_) => {
                    offset += carry.len();
                    carry.clear();
                }
                Err(e) if e.error_len().is_none() => {
                    // An incomplete sequence at the end: keep it for the next chunk.
                    let valid = e.valid_up_to();
                    offset += valid;
                    carry.drain(..valid);
                }
                Err(e) => {
                    let at = e.valid_up_to();
                    utf8 = Err((carry[at], offset + at));
                }
            }
        }
    }
    if utf8.is_ok() && !carry.is_empty() {
        utf8 = Err((carry[0], offset));
    }
    Ok(Read_ {
        blake3: *hasher.finalize().as_bytes(),
        size: size as i64,
        stat,
        utf8,
        bytes: kept,
    })
}

/// A raw JSON value as a CSV cell: its kind (`int`, `float`, `bool`, `str`, `other`; `None`
/// when missing), Python's `str()` of it (`None` for NaN, an empty cell), and an int's float
/// form (`3` → `3.0`), for columns pandas types as floats (§6.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawCell {
    /// The kind.
    pub kind: Option<&'static str>,
    /// `str(value)`.
    pub text: Option<String>,
    /// `repr(float(value))` for an int.
    pub float: Option<String>,
}

impl RawCell {
    fn of(value: Option<&PyValue>) -> RawCell {
        let Some(value) = value else {
            return RawCell::default();
        };
        match value {
            PyValue::Null => RawCell::default(),
            PyValue::Bool(_) => RawCell {
                kind: Some("bool"),
                text: Some(value.py_str()),
                float: None,
            },
            PyValue::Int(digits) if digits.parse::<i64>().is_ok() => RawCell {
                kind: Some("int"),
                text: Some(digits.clone()),
                float: digits.parse::<f64>().ok().map(pytext::float_repr),
            },
            PyValue::Float(f) => RawCell {
                kind: Some("float"),
                text: (!f.is_nan()).then(|| pytext::float_repr(*f)),
                float: None,
            },
            PyValue::Str { text, .. } => RawCell {
                kind: Some("str"),
                text: Some(text.clone()),
                float: None,
            },
            other => RawCell {
                kind: Some("other"),
                text: Some(other.py_str()),
                float: None,
            },
        }
    }
}

/// What the results layer takes from one generation folder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// `prompt.txt` exists.
    pub has_prompt: bool,
    /// `raw.txt` exists.
    pub has_raw: bool,
    /// `parsed.txt` exists (a folder counts, as in the reference's coverage check).
    pub has_parsed: bool,
    /// Why a scores run visiting this generation refuses (the first in the reference's read
    /// order), relative to the folder: `metadata.json: not valid JSON (…)`.
    pub refusal: Option<String>,
    /// The same for `raw_metadata.json` (evaluations).
    pub raw_meta_refusal: Option<String>,
    /// The metadata is a mapping with at least one key.
    pub meta_nonempty: bool,
    /// normalise(parent_gen_id).
    pub parent_gen_id: Option<String>,
    /// normalise(combo_id).
    pub combo_id: Option<String>,
    /// normalise(draft_template) (evaluations).
    pub draft_template: Option<String>,
    /// `normalise(template_id or <fallback>)`: essays fall back to `essay_template_id`, drafts to
    /// `draft_template`; evaluations have none.
    pub template: Option<String>,
    /// normalise(llm_model_id).
    pub llm_model_id: Option<String>,
    /// origin_cohort_id by the reference's rule (NaN and null are absent).
    pub origin_cohort_id: Option<String>,
    /// The raw `template_id` (evaluations).
    pub eval_template: RawCell,
    /// The raw `llm_model_id` (evaluations).
    pub eval_llm: RawCell,
    /// raw_metadata.json `input_mode`.
    pub input_mode: RawCell,
    /// raw_metadata.json `copied_from`.
    pub copied_from: RawCell,
    /// The score (evaluations), `None` when missing, invalid or NaN.
    pub score: Option<f64>,
    /// Its Python repr.
    pub score_text: Option<String>,
    /// `missing parsed.txt` or `Invalid parsed.txt: …`.
    pub score_error: Option<String>,
}

/// A generation folder read: its files for the ledger, what was read, and the facts.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The folder's entries with hashes.
    pub files: Vec<FileRecord>,
    /// The stat of every regular file that was read.
    pub stats: Vec<(String, Stat)>,
    /// The facts.
    pub facts: Facts,
}

/// `normalise(v)`: absent for null; else `str(v)` stripped, absent when empty.
fn normalise(v: Option<&PyValue>) -> Option<String> {
    match v {
        None | Some(PyValue::Null) => None,
        Some(v) => {
            let text = v.py_str();
            let t = pytext::strip(&text);
            (!t.is_empty()).then(|| t.to_string())
        }
    }
}

/// Python's `a or b`.
fn or<'a>(a: Option<&'a PyValue>, b: Option<&'a PyValue>) -> Option<&'a PyValue> {
    match a {
        Some(v) if v.truthy() => Some(v),
        _ => b,
    }
}

/// The keys the results layer reads from a metadata file (any stage).
const META_KEYS: [&str; 9] = [
    "parent_gen_id",
    "combo_id",
    "draft_template",
    "template_id",
    "essay_template_id",
    "llm_model_id",
    "origin_cohort_id",
    "input_mode",
    "copied_from",
];

/// Reads a generation folder whose entries were listed: hashes every regular file, reads the
/// files the results layer reads, and computes the facts.
pub fn scan(dir: &Path, stage: Stage, entries: &[Entry]) -> std::io::Result<Scanned> {
    let mut files = Vec::with_capacity(entries.len());
    let mut stats = Vec::new();
    let mut texts: Vec<(&str, Text)> = Vec::new();
    for entry in entries {
        let wanted = READ_ORDER.contains(&entry.name.as_str())
            || (stage == Stage::Evaluation && entry.name == RAW_METADATA);
        if entry.kind != Kind::File {
            files.push(FileRecord {
                name: entry.name.clone(),
                kind: entry.kind,
                size: None,
                blake3: None,
            });
            if wanted {
                texts.push((
                    name_of(&entry.name),
                    Text::Refused(format!("{} {}", entry.name, entry.kind.refusal())),
                ));
            }
            continue;
        }
        let keep = wanted && entry.name != "raw.txt" && entry.name != "prompt.txt";
        let read = match read_file(&dir.join(&entry.name), keep) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        files.push(FileRecord {
            name: entry.name.clone(),
            kind: Kind::File,
            size: Some(read.size),
            blake3: Some(read.blake3),
        });
        stats.push((entry.name.clone(), read.stat));
        if wanted {
            let text = match read.utf8 {
                Err((byte, at)) => Text::Refused(format!(
                    "{}: not valid UTF-8 (byte 0x{byte:02x} at offset {at}; the reference fails \
                     with UnicodeDecodeError)",
                    entry.name
                )),
                Ok(()) if keep && read.bytes.is_none() => Text::Refused(format!(
                    "{}: larger than {} MiB, more than cohortdb parses",
                    entry.name,
                    PARSE_LIMIT >> 20
                )),
                Ok(()) => Text::Ok(read.bytes.map(|b| {
                    let s = String::from_utf8(b).unwrap_or_default();
                    pytext::universal_newlines(&s).into_owned()
                })),
            };
            texts.push((name_of(&entry.name), text));
        }
    }
    let facts = facts(stage, &entries_exist(entries), &texts);
    Ok(Scanned {
        files,
        stats,
        facts,
    })
}

/// The static name for one of the files the results layer reads.
fn name_of(name: &str) -> &'static str {
    READ_ORDER
        .iter()
        .chain(std::iter::once(&RAW_METADATA))
        .find(|n| **n == name)
        .copied()
        .unwrap_or("")
}

/// Which of prompt/raw/parsed exist.
fn entries_exist(entries: &[Entry]) -> [bool; 3] {
    let has = |name: &str| entries.iter().any(|e| e.name == name && e.kind.exists());
    [has("prompt.txt"), has("raw.txt"), has("parsed.txt")]
}

/// Decodes a JSON file's text; `Err` with the refusal when the reference's read fails.
fn json_of(name: &str, text: &Text) -> Result<Option<PyValue>, String> {
    match text {
        Text::Absent => Ok(None),
        Text::Refused(why) => Err(why.clone()),
        Text::Ok(None) => Ok(None),
        Text::Ok(Some(s)) => pyjson::parse(s).map(Some).map_err(|e| {
            format!("{name}: not valid JSON: {e} (the reference fails with PARSER_FAILURE)")
        }),
    }
}

/// The mapping a decoded metadata value gives (`value or {}`), or the refusal for a truthy
/// non-object (`'list' object has no attribute 'get'`).
fn mapping(name: &str, value: Option<PyValue>) -> Result<Option<PyValue>, String> {
    match value {
        None => Ok(None),
        Some(v) if !v.truthy() => Ok(None),
        Some(v @ PyValue::Dict(_)) => Ok(Some(v)),
        Some(v) => Err(format!(
            "{name}: a JSON {}, not an object (the reference fails with '{}' object has no \
             attribute 'get')",
            v.type_name(),
            v.type_name()
        )),
    }
}

fn facts(stage: Stage, exist: &[bool; 3], texts: &[(&str, Text)]) -> Facts {
    let text = |name: &str| {
        texts
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(Text::Absent, |(_, t)| t.clone())
    };
    let mut f = Facts {
        has_prompt: exist[0],
        has_raw: exist[1],
        has_parsed: exist[2],
        ..Facts::default()
    };
    // The reads in the reference's order: metadata (decoded at once), raw, parsed, prompt;
    // then the first field lookup on the metadata.
    let meta = json_of("metadata.json", &text("metadata.json"));
    let mut refusal = meta.as_ref().err().cloned();
    for name in ["raw.txt", "parsed.txt", "prompt.txt"] {
        if refusal.is_none()
            && let Text::Refused(why) = text(name)
        {
            refusal = Some(why);
        }
    }
    let meta = meta.ok().flatten();
    let meta = match mapping("metadata.json", meta) {
        Ok(m) => m,
        Err(why) => {
            refusal.get_or_insert(why);
            None
        }
    };
    if refusal.is_none()
        && let Some(m) = &meta
        && META_KEYS
            .iter()
            .any(|k| m.get(k).is_some_and(PyValue::has_lone_surrogate))
    {
        refusal = Some(
            "metadata.json: a value holds a lone surrogate escape (\\ud800-\\udfff), which \
             the reference cannot write as UTF-8"
                .to_string(),
        );
    }
    f.refusal = refusal;
    let get = |key: &str| meta.as_ref().and_then(|m| m.get(key));
    f.meta_nonempty = matches!(&meta, Some(PyValue::Dict(e)) if !e.is_empty());
    f.parent_gen_id = normalise(get("parent_gen_id"));
    f.combo_id = normalise(get("combo_id"));
    f.llm_model_id = normalise(get("llm_model_id"));
    match stage {
        Stage::Essay => f.template = normalise(or(get("template_id"), get("essay_template_id"))),
        Stage::Draft => f.template = normalise(or(get("template_id"), get("draft_template"))),
        Stage::Evaluation => {
            f.draft_template = normalise(get("draft_template"));
            f.eval_template = RawCell::of(get("template_id"));
            f.eval_llm = RawCell::of(get("llm_model_id"));
            f.origin_cohort_id = match get("origin_cohort_id") {
                Some(v) if !v.pandas_isna() => normalise(Some(v)),
                _ => None,
            };
            score(&mut f, &text("parsed.txt"));
            raw_metadata(&mut f, &text(RAW_METADATA));
        }
    }
    f
}

/// The score of an evaluation's parsed text (§4.4).
fn score(f: &mut Facts, parsed: &Text) {
    let content = match parsed {
        Text::Ok(Some(s)) => s.as_str(),
        _ => "",
    };
    let (score, text, error) = super::score::parse(content);
    f.score = score;
    f.score_text = text;
    f.score_error = error;
}

/// The evaluation's raw_metadata.json: `input_mode` and `copied_from`, or its refusal.
fn raw_metadata(f: &mut Facts, raw: &Text) {
    match json_of(RAW_METADATA, raw).and_then(|v| mapping(RAW_METADATA, v)) {
        Err(why) => f.raw_meta_refusal = Some(why),
        Ok(None) => {}
        Ok(Some(m)) => {
            if ["input_mode", "copied_from"]
                .iter()
                .any(|k| m.get(k).is_some_and(PyValue::has_lone_surrogate))
            {
                f.raw_meta_refusal = Some(format!(
                    "{RAW_METADATA}: a value holds a lone surrogate escape, which the reference \
                     cannot write as UTF-8"
                ));
            }
            f.input_mode = RawCell::of(m.get("input_mode"));
            f.copied_from = RawCell::of(m.get("copied_from"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts_of(stage: Stage, files: &[(&str, &[u8])]) -> Facts {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let (entries, _) = list(dir.path()).unwrap();
        scan(dir.path(), stage, &entries).unwrap().facts
    }

    #[test]
    fn evaluation_facts_follow_the_reference() {
        let f = facts_of(
            Stage::Evaluation,
            &[
                (
                    "metadata.json",
                    br#"{"parent_gen_id": " e_1 ", "template_id": 3, "llm_model_id": " m ",
                        "origin_cohort_id": NaN, "combo_id": 17}"#,
                ),
                ("parsed.txt", b"reasoning\r\n  8.5 \n\n"),
                (
                    "raw_metadata.json",
                    br#"{"input_mode": "copy", "copied_from": [1, 2]}"#,
                ),
            ],
        );
        assert_eq!(f.parent_gen_id.as_deref(), Some("e_1"));
        assert_eq!(f.combo_id.as_deref(), Some("17"));
        assert_eq!(f.eval_template.kind, Some("int"));
        assert_eq!(f.eval_template.float.as_deref(), Some("3.0"));
        assert_eq!(f.eval_llm.text.as_deref(), Some(" m "));
        assert_eq!(f.origin_cohort_id, None);
        assert_eq!(f.score, Some(8.5));
        assert_eq!(f.score_text.as_deref(), Some("8.5"));
        assert_eq!(f.copied_from.text.as_deref(), Some("[1, 2]"));
        assert_eq!(f.refusal, None);
        assert!(f.has_parsed && !f.has_raw);
    }

    #[test]
    fn template_fallbacks_use_python_or() {
        let f = facts_of(
            Stage::Essay,
            &[(
                "metadata.json",
                br#"{"template_id": "", "essay_template_id": 0}"#,
            )],
        );
        assert_eq!(f.template.as_deref(), Some("0"));
        let f = facts_of(
            Stage::Essay,
            &[(
                "metadata.json",
                br#"{"template_id": "  ", "essay_template_id": "x"}"#,
            )],
        );
        assert_eq!(
            f.template, None,
            "whitespace is truthy: no fallback, then empty"
        );
        let f = facts_of(
            Stage::Draft,
            &[(
                "metadata.json",
                br#"{"template_id": null, "draft_template": "d"}"#,
            )],
        );
        assert_eq!(f.template.as_deref(), Some("d"));
        assert!(f.meta_nonempty);
        let f = facts_of(Stage::Draft, &[("metadata.json", b"{}")]);
        assert!(!f.meta_nonempty);
    }

    #[test]
    fn what_would_abort_the_reference_is_a_refusal_in_read_order() {
        let f = facts_of(
            Stage::Essay,
            &[("metadata.json", b"\xef\xbb\xbf{}"), ("raw.txt", b"\xff")],
        );
        assert!(
            f.refusal
                .unwrap()
                .starts_with("metadata.json: not valid JSON")
        );
        let f = facts_of(
            Stage::Draft,
            &[("prompt.txt", b"ok\xffno"), ("raw.txt", b"fine")],
        );
        assert!(
            f.refusal
                .unwrap()
                .starts_with("prompt.txt: not valid UTF-8 (byte 0xff at offset 2")
        );
        let f = facts_of(Stage::Evaluation, &[("metadata.json", b"[1]")]);
        assert!(
            f.refusal
                .unwrap()
                .contains("'list' object has no attribute 'get'")
        );
        let f = facts_of(Stage::Evaluation, &[("metadata.json", b"0")]);
        assert_eq!(f.refusal, None, "a false-ish value is an empty mapping");
        let f = facts_of(Stage::Evaluation, &[("raw_metadata.json", b"{nope")]);
        assert_eq!(f.refusal, None);
        assert!(
            f.raw_meta_refusal
                .unwrap()
                .starts_with("raw_metadata.json: not valid JSON")
        );
        let f = facts_of(Stage::Evaluation, &[("parsed_metadata.json", b"{nope")]);
        assert_eq!((f.refusal, f.raw_meta_refusal), (None, None), "never read");
    }

    #[test]
    fn utf8_is_checked_across_read_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = vec![b'a'; (64 << 10) - 1];
        bytes.extend_from_slice("é".as_bytes());
        std::fs::write(dir.path().join("raw.txt"), &bytes).unwrap();
        let read = read_file(&dir.path().join("raw.txt"), false).unwrap();
        assert_eq!(read.utf8, Ok(()));
        bytes.push(0xc3);
        std::fs::write(dir.path().join("raw.txt"), &bytes).unwrap();
        let read = read_file(&dir.path().join("raw.txt"), false).unwrap();
        assert_eq!(read.utf8, Err((0xc3, bytes.len() - 1)));
    }
}
