//! Why `export`, `show --spec-out` or `backup` refused to write (`Error::Export`); nothing was
//! written (docs/export-verify.md, docs/reliability.md "Export stays inside its roots").

/// The hint after a refusal for an entry met below a root while writing.
const BELOW_ROOT_HINT: &str = "remove or rename it (it is left alone), or export to another folder";

/// The hint after a refusal for an entry met below a root while reading.
const BELOW_ROOT_READ_HINT: &str = "remove or rename it (it is left alone): files below an export \
     folder or a gens root are never read through a link";

/// Whether the path policy refused an entry while reading files below a root (`verify`,
/// `status`, the checks of `export`) or while writing them (docs/reliability.md, "Export stays
/// inside its roots").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading: nothing is written by the command.
    Read,
    /// Writing: nothing was written.
    Write,
}

impl Access {
    /// The verb of the refusal.
    fn verb(self) -> &'static str {
        match self {
            Access::Read => "reads",
            Access::Write => "writes",
        }
    }

    /// What the refusal says was (not) written.
    fn outcome(self) -> &'static str {
        match self {
            Access::Read => "",
            Access::Write => "; nothing was written",
        }
    }
}

/// An existing metadata.json that belongs to another generation (docs/decisions.md D1), or
/// that is not readable as metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataClash {
    /// The file.
    pub path: String,
    /// The signature it describes, or why it describes none.
    pub found: Result<String, crate::error::MetaError>,
    /// The member's signature.
    pub expected: Option<String>,
}

/// Each refusal of an export (or of another write of files the store holds).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Existing metadata.json files describe other generations (D1), or none.
    #[error(
        "{count} existing metadata.json {} under {gens_root} {}; nothing was written",
        crate::textfmt::plural(*count as u64, "file"),
        if *count == 1 { "is not its member's" } else { "are not their members'" }
    )]
    MetadataConflicts {
        /// How many files conflict.
        count: usize,
        /// The gens root.
        gens_root: String,
        /// The first few conflicting files.
        shown: Vec<MetadataClash>,
        /// How many describe another generation (another signature).
        other_generation: usize,
        /// How many are not valid JSON (`--repair` rewrites these; counted only without it).
        not_json: usize,
    },
    /// The store's rows for the record are not the ones its content hash covers.
    #[error(
        "cohort {cohort:?}: the store's rows are not the record its content hash covers; nothing was written"
    )]
    RowsDiffer {
        /// The cohort.
        cohort: String,
        /// Each difference, as `verify` words it.
        diffs: Vec<String>,
    },
    /// Exported files differ from the stored record and `--force` was not given.
    #[error(
        "cohort {cohort:?}: exported files in {out} differ from the stored record; nothing was written"
    )]
    FilesDiffer {
        /// The cohort.
        cohort: String,
        /// The export folder.
        out: String,
        /// The differing files.
        files: Vec<String>,
    },
    /// The exported spec was changed after the build (D14).
    #[error(
        "cohort {cohort:?}: the spec in {spec_dir} was changed after the build ({}); nothing was written",
        files.join(", ")
    )]
    SpecChanged {
        /// The cohort.
        cohort: String,
        /// The exported spec folder.
        spec_dir: String,
        /// The changed files.
        files: Vec<String>,
    },
    /// A metadata.json appeared between the check and the write.
    #[error("{path}: another metadata.json appeared during the export; it was left alone")]
    MetadataAppeared {
        /// The file.
        path: String,
    },
    /// A link below a root.
    #[error(
        "{found} is {what}; cohortdb never {} through it (it could lead outside {root}){}",
        access.verb(),
        access.outcome()
    )]
    LinkBelowRoot {
        /// The entry.
        found: String,
        /// What it is (`a symlink`).
        what: &'static str,
        /// The root.
        root: String,
        /// Whether it was met reading or writing.
        access: Access,
    },
    /// An entry of the wrong kind below a root (a FIFO, a device, a file where a folder goes).
    #[error(
        "{found}: is {kind}, not {}{}",
        if *want_file { "a regular file" } else { "a folder" },
        access.outcome()
    )]
    WrongKind {
        /// The entry.
        found: String,
        /// What it is.
        kind: String,
        /// Whether a regular file (not a folder) belongs there.
        want_file: bool,
        /// Whether it was met reading or writing.
        access: Access,
    },
    /// A path meant to lie below a root is not plain and relative.
    #[error("{rel}: not a plain relative path below {root}")]
    NotPlainRelative {
        /// The path.
        rel: String,
        /// The root.
        root: String,
    },
    /// A root (`--out`, `--gens-root`), or its nearest existing ancestor, is not a folder.
    #[error("{flag} {root}: {at} is {kind}, not a folder; nothing was written")]
    RootNotFolder {
        /// The option naming the root.
        flag: String,
        /// The root.
        root: String,
        /// The entry that is not a folder.
        at: String,
        /// What it is.
        kind: String,
    },
    /// A root's nearest existing folder cannot be written.
    #[error("{flag} {root}: {at} is not writable; nothing was written")]
    RootNotWritable {
        /// The option naming the root.
        flag: String,
        /// The root.
        root: String,
        /// The folder that is not writable.
        at: String,
    },
    /// `show --spec-out` into a folder already holding some of the spec's files.
    #[error(
        "{dir} already holds {} of the spec's files; nothing was written",
        existing.len()
    )]
    SpecFilesExist {
        /// The folder.
        dir: String,
        /// The files that exist.
        existing: Vec<String>,
    },
    /// A file appeared while a spec bundle was written.
    #[error("{path} appeared while writing; left alone")]
    AppearedWhileWriting {
        /// The file.
        path: String,
    },
    /// A `backup` copy failed SQLite's `quick_check`.
    #[error("backup: the copy failed its check ({check}); nothing was written")]
    BackupCheckFailed {
        /// What `quick_check` reported.
        check: String,
    },
}

/// What to do about existing metadata.json files that are not their members': one hint per
/// kind of file found (another generation's, not JSON, JSON without the signature's fields).
fn metadata_hints(count: usize, other_generation: usize, not_json: usize) -> Vec<String> {
    let mut hints = Vec::new();
    if other_generation > 0 {
        hints.push(
            "a gen_id names one generation; an existing metadata.json for another signature is \
             never overwritten (D1): move it aside if it is stale, or export to another --gens-root"
                .to_string(),
        );
    }
    if not_json > 0 {
        hints.push(format!(
            "`cohortdb export --repair` rewrites the {} not valid JSON from the record (showing \
             what {} held)",
            if not_json == 1 {
                "file that is"
            } else {
                "files that are"
            },
            if not_json == 1 { "it" } else { "each" }
        ));
    }
    if count > other_generation + not_json {
        hints.push(
            "a metadata.json that is valid JSON is never rewritten, not even by --repair (another \
             tool may have written it): read it, then move it aside or delete it and export again \
             to write the member's from the record, or export to another --gens-root"
                .to_string(),
        );
    }
    hints
}

impl ExportError {
    /// Lines printed after the message.
    pub fn detail(&self) -> Vec<String> {
        match self {
            ExportError::MetadataConflicts { shown, .. } => shown
                .iter()
                .map(|c| {
                    format!(
                        "{}: {}",
                        c.path,
                        match &c.found {
                            Ok(sig) => format!(
                                "signature {sig:?}, but the member's is {:?}",
                                c.expected.as_deref().unwrap_or_default()
                            ),
                            Err(why) => why.to_string(),
                        }
                    )
                })
                .collect(),
            ExportError::RowsDiffer { diffs, .. } => diffs.clone(),
            ExportError::FilesDiffer { files, .. } => files.clone(),
            ExportError::SpecFilesExist { existing, .. } => existing.clone(),
            _ => Vec::new(),
        }
    }

    /// What to do about it.
    pub fn hints(&self) -> Vec<String> {
        let hint = match self {
            ExportError::MetadataConflicts {
                count,
                other_generation,
                not_json,
                ..
            } => return metadata_hints(*count, *other_generation, *not_json),
            ExportError::RowsDiffer { .. } => {
                "`cohortdb verify` shows every difference; a cohort record never changes (D14), \
                 so rebuild from the spec under a new cohort id"
                    .to_string()
            }
            ExportError::FilesDiffer { .. } => {
                "`cohortdb verify` shows what changed; `cohortdb export --force` replaces these \
                 files"
                    .to_string()
            }
            ExportError::SpecChanged {
                cohort, spec_dir, ..
            } => format!(
                "a cohort record never changes (D14); build the changed spec under a new cohort \
                 id, e.g. `cohortdb build {cohort}-v2 --spec {spec_dir}`"
            ),
            ExportError::LinkBelowRoot { access, .. } | ExportError::WrongKind { access, .. } => {
                match access {
                    Access::Read => BELOW_ROOT_READ_HINT.to_string(),
                    Access::Write => BELOW_ROOT_HINT.to_string(),
                }
            }
            _ => return Vec::new(),
        };
        vec![hint]
    }

    /// The cohort concerned, when the refusal names one.
    pub fn value(&self) -> Option<String> {
        match self {
            ExportError::RowsDiffer { cohort, .. }
            | ExportError::FilesDiffer { cohort, .. }
            | ExportError::SpecChanged { cohort, .. } => Some(cohort.clone()),
            _ => None,
        }
    }

    /// The file or folder concerned, when there is one.
    pub fn file(&self) -> Option<&str> {
        match self {
            ExportError::MetadataConflicts { gens_root, .. } => Some(gens_root),
            ExportError::FilesDiffer { out, .. } => Some(out),
            ExportError::SpecChanged { spec_dir, .. } => Some(spec_dir),
            ExportError::MetadataAppeared { path } | ExportError::AppearedWhileWriting { path } => {
                Some(path)
            }
            ExportError::LinkBelowRoot { found, .. } | ExportError::WrongKind { found, .. } => {
                Some(found)
            }
            ExportError::RootNotFolder { at, .. } | ExportError::RootNotWritable { at, .. } => {
                Some(at)
            }
            ExportError::SpecFilesExist { dir, .. } => Some(dir),
            _ => None,
        }
    }
}
