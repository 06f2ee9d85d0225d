//! The library's one error type and the `Location` every user-caused error carries.
//!
//! Nothing here prints or exits: `main.rs` prints `error: {err}` and then [`Error::detail`]
//! lines, and maps every error to exit status 2.

use std::fmt;
use std::path::Path;

/// Where in the user's input something is: a file, optionally a line and column, optionally a
/// YAML/JSON path inside the file (`axes.flag[0]`).
///
/// Displays as `path:line:column` (the form editors jump to) followed by `: yaml.path` when one
/// is known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// The file as the user named it (or as it is stored in a bundle).
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// Path inside a structured document, e.g. `rules.pairs.p.allowed[1]`.
    pub yaml_path: Option<String>,
}

impl Location {
    /// A whole file.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Location {
            path: path.as_ref().display().to_string(),
            ..Location::default()
        }
    }

    /// A line of a file.
    pub fn line(path: impl AsRef<Path>, line: u64) -> Self {
        Location {
            line: Some(narrow(line)),
            ..Location::file(path)
        }
    }

    /// A line and column of a file.
    pub fn line_col(path: impl AsRef<Path>, line: u64, column: u64) -> Self {
        Location {
            line: Some(narrow(line)),
            column: Some(narrow(column)),
            ..Location::file(path)
        }
    }

    /// A position reported by a parser (line and column when it knows them).
    pub fn position(path: impl AsRef<Path>, line: Option<u64>, column: Option<u64>) -> Self {
        Location {
            line: line.map(narrow),
            column: column.map(narrow),
            ..Location::file(path)
        }
    }

    /// A path inside a structured file.
    pub fn yaml(path: impl AsRef<Path>, yaml_path: impl Into<String>) -> Self {
        let yaml_path = yaml_path.into();
        Location {
            yaml_path: if yaml_path.is_empty() {
                None
            } else {
                Some(yaml_path)
            },
            ..Location::file(path)
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(yaml_path) = &self.yaml_path {
            write!(f, ": {yaml_path}")?;
        }
        Ok(())
    }
}

/// Lines and columns are kept as u32 (keeps `Error` small); larger values saturate.
fn narrow(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Every way a cohortdb operation can fail.
///
/// Variants caused by user input carry a [`Location`] or name the offending value; the
/// optional `detail` lines (lists, side-by-side pairs, hints) are printed after the first line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {}", io_text(source))]
    Io {
        /// The file or directory.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// An SQL statement against the store failed.
    #[error("store: {query}: {}", sqlite_text(source))]
    Db {
        /// The name of the statement (its file under `sql/`, or what it does).
        query: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// Applying the schema migrations failed.
    #[error("store {path}: schema migration failed: {message}")]
    Migrate {
        /// The store file.
        path: String,
        /// Refinery's message.
        message: String,
    },
    /// The store file cannot be used: empty, another format or application, damaged, or written
    /// by a newer cohortdb. Nothing was changed.
    #[error("store {path}: {message}")]
    BadStore {
        /// The store file.
        path: String,
        /// What is wrong and the way out.
        message: String,
    },
    /// The store file does not exist (a read-only command was run before anything was stored).
    #[error("no store at {path}: run `cohortdb import` (or `cohortdb init`) first")]
    NoStore {
        /// The store file that was looked for.
        path: String,
    },
    /// A spec (or a file it includes) is invalid.
    #[error("{loc}: {message}")]
    Spec {
        /// Where the problem is.
        loc: Location,
        /// What is wrong, naming the offending value.
        message: String,
        /// Further lines (hints, lists).
        detail: Vec<String>,
    },
    /// A catalog file is invalid, or importing it would change stored rows.
    #[error("{loc}: {message}")]
    Catalog {
        /// Where the problem is (file, line, column).
        loc: Location,
        /// What is wrong.
        message: String,
        /// Further problems found in the same pass, and hints.
        detail: Vec<String>,
    },
    /// A data file other than a catalog or spec (membership.csv, a metadata.json, a curated
    /// list) is invalid.
    #[error("{loc}: {message}")]
    Data {
        /// Where the problem is.
        loc: Location,
        /// What is wrong, naming the offending value.
        message: String,
    },
    /// A command-line value is invalid (a bad cohort id, a bad flag combination, …).
    #[error("{message}")]
    Usage {
        /// What is wrong, naming the value.
        message: String,
        /// Hints.
        detail: Vec<String>,
    },
    /// A build, export or other write was refused; nothing was written.
    #[error("{message}")]
    Refused {
        /// Why, naming the cohort and what differs.
        message: String,
        /// Lists and side-by-side comparisons.
        detail: Vec<String>,
    },
    /// A statement given to `query` would write, or is not a single statement.
    #[error("{message}")]
    ReadOnly {
        /// What was refused.
        message: String,
    },
}

impl Error {
    /// The lines to print after the first `error: …` line.
    pub fn detail(&self) -> &[String] {
        match self {
            Error::Spec { detail, .. }
            | Error::Catalog { detail, .. }
            | Error::Usage { detail, .. }
            | Error::Refused { detail, .. } => detail,
            _ => &[],
        }
    }

    /// A spec error without detail lines.
    pub fn spec(loc: Location, message: impl Into<String>) -> Self {
        Error::Spec {
            loc,
            message: message.into(),
            detail: Vec::new(),
        }
    }

    /// A catalog error without detail lines.
    pub fn catalog(loc: Location, message: impl Into<String>) -> Self {
        Error::Catalog {
            loc,
            message: message.into(),
            detail: Vec::new(),
        }
    }

    /// A usage error without detail lines.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            detail: Vec::new(),
        }
    }

    /// A refusal with detail lines.
    pub fn refused(message: impl Into<String>, detail: Vec<String>) -> Self {
        Error::Refused {
            message: message.into(),
            detail,
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }

    /// True when the error is a closed pipe on output (the reader went away; not a failure).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// SQLite's message for `e`, once: rusqlite's `SqliteFailure` displays the message SQLite gave,
/// and its source repeats the code (`Error code 23: …`); callers print only this text.
/// Damage and interruption are named in words a person can act on.
pub fn sqlite_text(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode;
    let text = match e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        rusqlite::Error::SqliteFailure(f, None) => f.to_string(),
        other => other.to_string(),
    };
    let text = crate::textfmt::capped(&text);
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            format!("{text} (the store file is damaged; restore it from a backup)")
        }
        Some(ErrorCode::OperationInterrupted) => "interrupted".to_string(),
        _ => text,
    }
}

/// The operating system's message for `e` (its `Display`, capped).
fn io_text(e: &std::io::Error) -> String {
    crate::textfmt::capped(&e.to_string())
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attaches a statement name to rusqlite errors: `stmt.execute(..).db("catalog_insert")?`.
pub(crate) trait DbContext<T> {
    /// Maps the error to [`Error::Db`] naming `query`.
    fn db(self, query: &'static str) -> Result<T>;
}

impl<T> DbContext<T> for std::result::Result<T, rusqlite::Error> {
    fn db(self, query: &'static str) -> Result<T> {
        self.map_err(|source| Error::Db { query, source })
    }
}

/// Attaches a path to I/O errors: `fs::read(p).at(p)?`.
pub(crate) trait IoContext<T> {
    /// Maps the error to [`Error::Io`] naming `path`.
    fn at(self, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoContext<T> for std::result::Result<T, std::io::Error> {
    fn at(self, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|source| Error::io(path, source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_displays_like_an_editor_position() {
        assert_eq!(Location::line_col("a.csv", 3, 2).to_string(), "a.csv:3:2");
        assert_eq!(Location::line("a.csv", 3).to_string(), "a.csv:3");
        assert_eq!(
            Location::yaml("c.yaml", "axes.flag[0]").to_string(),
            "c.yaml: axes.flag[0]"
        );
        assert_eq!(Location::yaml("c.yaml", "").to_string(), "c.yaml");
    }
}
