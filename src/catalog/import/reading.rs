//! The reading step of an import: the catalog file streamed record by record (with progress),
//! its header, its content digest, and the body and description files next to it.
//!
//! Nothing here knows about the store; nothing here collects the file.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::Progress;
use crate::catalog::{Attachments, CatalogKind, DESCRIPTION_LEVELS};
use crate::csvread::{CsvError, CsvReader, Dialect, RawRecord};
use crate::error::{CatalogErrorKind, Error, IoContext, Location, Result};

/// Reads a file in chunks, reporting progress every MiB.
struct CountingReader<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
    pending: u64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pending += n as u64;
        if self.pending >= 1 << 20 {
            self.progress.advance(self.pending);
            self.pending = 0;
        }
        Ok(n)
    }
}

/// An open catalog file, read one record at a time (memory bounded by the longest record).
pub(super) struct CatalogFile<'a> {
    path: &'a Path,
    reader: CsvReader<BufReader<CountingReader<'a, File>>>,
    rec: RawRecord,
}

impl<'a> CatalogFile<'a> {
    /// Opens `path` and starts `progress` with its size, labelled as `kind`.
    #[cfg(test)]
    pub(super) fn open(
        kind: CatalogKind,
        path: &'a Path,
        progress: &'a dyn Progress,
    ) -> Result<Self> {
        CatalogFile::open_as(kind, path, path, progress)
    }

    /// Opens `source`, naming it `path` in every message (`-` for a copy of stdin).
    pub(super) fn open_as(
        kind: CatalogKind,
        source: &Path,
        path: &'a Path,
        progress: &'a dyn Progress,
    ) -> Result<Self> {
        let file = crate::fsutil::open_regular(source).at(path)?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        progress.start(kind.label(), total);
        let counting = CountingReader {
            inner: file,
            progress,
            pending: 0,
        };
        Ok(CatalogFile {
            path,
            reader: CsvReader::new(
                BufReader::with_capacity(1 << 16, counting),
                Dialect::default(),
            ),
            rec: RawRecord::default(),
        })
    }

    fn csv_error(&self, e: CsvError) -> Error {
        match e {
            CsvError::UnterminatedQuote { line } => Error::catalog(
                Location::line(self.path, line),
                CatalogErrorKind::UnterminatedQuote { truncated: true },
            ),
            CsvError::Io(e) => Error::io(self.path, e),
        }
    }

    /// The header's column names; `None` for a file of zero rows (empty, or blank lines only,
    /// D9). A blank first line followed by anything else is refused, as is a header that is
    /// not UTF-8.
    pub(super) fn header(&mut self) -> Result<Option<Vec<String>>> {
        let has_header = self
            .reader
            .read_record(&mut self.rec)
            .map_err(|e| self.csv_error(e))?;
        if !has_header || self.rec.is_empty() {
            let mut more = RawRecord::default();
            while self
                .reader
                .read_record(&mut more)
                .map_err(|e| self.csv_error(e))?
            {
                if !more.is_empty() {
                    return Err(Error::catalog(
                        Location::line(self.path, self.rec.line.max(1)),
                        CatalogErrorKind::BlankHeader,
                    ));
                }
            }
            return Ok(None);
        }
        let mut header: Vec<String> = Vec::with_capacity(self.rec.len());
        for (i, field) in self.rec.iter().enumerate() {
            let name = std::str::from_utf8(field).map_err(|_| {
                Error::catalog(
                    Location::line_col(self.path, 1, i as u64 + 1),
                    CatalogErrorKind::HeaderNotUtf8,
                )
            })?;
            header.push(name.to_string());
        }
        Ok(Some(header))
    }

    /// The next record (a blank line is a record without fields), or `None` at the end.
    pub(super) fn next_record(&mut self) -> Result<Option<&RawRecord>> {
        let more = self
            .reader
            .read_record(&mut self.rec)
            .map_err(|e| self.csv_error(e))?;
        Ok(more.then_some(&self.rec))
    }
}

/// The BLAKE3 digest of a file's bytes, in hex (recorded with the batch).
#[cfg(test)]
pub(super) fn hash_file(path: &Path) -> Result<String> {
    hash_file_as(path, path)
}

/// [`hash_file`] of `source`, naming it `path` in messages.
pub(super) fn hash_file_as(source: &Path, path: &Path) -> Result<String> {
    let mut file = crate::fsutil::open_regular(source).at(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).at(path)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// A body or description file: its text, or `None` when it does not exist.
fn read_attachment(path: &Path) -> Result<Option<String>> {
    match crate::fsutil::read_regular(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(text)),
            Err(e) => Err(Error::catalog(
                Location::file(path),
                CatalogErrorKind::NotUtf8At {
                    at_byte: e.utf8_error().valid_up_to(),
                },
            )),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn attachment_paths(kind: CatalogKind, base: &Path, id: &str) -> Vec<PathBuf> {
    attachment_dirs(kind, base)
        .into_iter()
        .map(|dir| dir.join(format!("{id}.txt")))
        .collect()
}

fn attachment_dirs(kind: CatalogKind, base: &Path) -> Vec<PathBuf> {
    match kind.attachments() {
        Attachments::None => Vec::new(),
        Attachments::Body(stage) => vec![base.join("templates").join(stage.as_str())],
        Attachments::Descriptions => DESCRIPTION_LEVELS
            .iter()
            .map(|level| base.join("concepts").join(format!("descriptions-{level}")))
            .collect(),
    }
}

/// The body or description texts of row `id`, in the order of
/// [`CatalogKind::attachment_names`], looked up under `base` (the catalog file's folder).
pub(super) fn read_attachments(
    kind: CatalogKind,
    base: &Path,
    id: &str,
) -> Result<Vec<Option<String>>> {
    attachment_paths(kind, base, id)
        .iter()
        .map(|path| read_attachment(path))
        .collect()
}

/// Body or description files whose id has no row in the file: skipped with a warning.
pub(super) fn orphan_warnings(
    kind: CatalogKind,
    base: &Path,
    ids: &HashSet<String>,
    csv: &str,
) -> Vec<String> {
    let mut warnings = Vec::new();
    for dir in attachment_dirs(kind, base) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut orphans: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .filter(|p| {
                p.file_stem()
                    .and_then(|s| s.to_str())
                    .is_some_and(|stem| !ids.contains(stem))
            })
            .collect();
        orphans.sort();
        for path in orphans {
            let id = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            warnings.push(format!(
                "{}: no {} row {id:?} in {csv}; file skipped",
                path.display(),
                kind.label()
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::catalog::import::NoProgress;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("test folder is writable");
        }
        std::fs::write(&path, bytes).expect("test file is writable");
        path
    }

    fn header_of(bytes: &[u8]) -> Result<Option<Vec<String>>> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), "c.csv", bytes);
        CatalogFile::open(CatalogKind::LlmModels, &path, &NoProgress)?.header()
    }

    #[test]
    fn header_names_and_zero_row_files() {
        assert_eq!(
            header_of(b"id,model\nx,y\n").expect("reads"),
            Some(vec!["id".to_string(), "model".to_string()])
        );
        assert_eq!(header_of(b"").expect("empty file"), None);
        assert_eq!(header_of(b"\n\r\n\n").expect("blank lines only"), None);
    }

    #[test]
    fn a_blank_header_before_rows_and_a_non_utf8_header_are_refused() {
        let err = header_of(b"\nid\nx\n").expect_err("blank header");
        assert!(
            err.to_string().contains(":1: the header line is blank"),
            "{err}"
        );
        let err = header_of(b"id,m\xffodel\n").expect_err("bad header");
        assert!(
            err.to_string()
                .contains(":1:2: invalid UTF-8 in the header"),
            "{err}"
        );
    }

    #[test]
    fn records_stream_with_their_lines_and_an_open_quote_names_its_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), "c.csv", b"id\r\na\r\n\r\n\"b\nc\"\n\"open\n");
        let mut file =
            CatalogFile::open(CatalogKind::LlmModels, &path, &NoProgress).expect("opens");
        assert!(file.header().expect("header").is_some());
        let mut seen = Vec::new();
        let err = loop {
            match file.next_record() {
                Ok(Some(rec)) => seen.push((rec.line, rec.len())),
                Ok(None) => panic!("the open quote is an error"),
                Err(err) => break err,
            }
        };
        assert_eq!(seen, vec![(2, 1), (3, 0), (4, 1)]);
        assert!(
            err.to_string()
                .contains(":6: a quoted field is never closed"),
            "{err}"
        );
    }

    struct Counting(Cell<u64>, Cell<u32>);

    impl Progress for Counting {
        fn start(&self, _: &str, total: u64) {
            self.0.set(total);
        }
        fn advance(&self, bytes: u64) {
            self.1.set(self.1.get() + u32::from(bytes > 0));
        }
        fn finish(&self) {}
    }

    #[test]
    fn progress_starts_with_the_file_size_and_advances_per_mebibyte() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut text = String::from("id\n");
        while text.len() < 3 << 20 {
            text.push_str("model-0123456789\n");
        }
        let path = write(dir.path(), "c.csv", text.as_bytes());
        let progress = Counting(Cell::new(0), Cell::new(0));
        let mut file = CatalogFile::open(CatalogKind::LlmModels, &path, &progress).expect("opens");
        assert_eq!(progress.0.get(), text.len() as u64);
        file.header().expect("header");
        while file.next_record().expect("reads").is_some() {}
        assert!(progress.1.get() >= 2, "advanced {} times", progress.1.get());
    }

    #[test]
    fn hash_is_blake3_of_the_bytes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(dir.path(), "c.csv", b"id\nx\n");
        assert_eq!(
            hash_file(&path).expect("hashes"),
            blake3::hash(b"id\nx\n").to_hex().to_string()
        );
    }

    #[test]
    fn attachments_are_found_by_id_and_may_be_absent() {
        let dir = tempfile::tempdir().expect("temp dir");
        let base = dir.path();
        write(base, "templates/essay/t1.txt", b"body");
        write(base, "concepts/descriptions-article/c1.txt", b"long");
        assert_eq!(
            read_attachments(CatalogKind::EssayTemplates, base, "t1").expect("reads"),
            vec![Some("body".to_string())]
        );
        assert_eq!(
            read_attachments(CatalogKind::DraftTemplates, base, "t1").expect("reads"),
            vec![None]
        );
        assert_eq!(
            read_attachments(CatalogKind::Concepts, base, "c1").expect("reads"),
            vec![None, None, Some("long".to_string())]
        );
        assert!(
            read_attachments(CatalogKind::LlmModels, base, "t1")
                .expect("reads")
                .is_empty()
        );
        write(base, "templates/essay/bad.txt", b"\xff");
        let err = read_attachments(CatalogKind::EssayTemplates, base, "bad").expect_err("bad");
        assert!(err.to_string().contains("invalid UTF-8 at byte 0"), "{err}");
    }

    #[test]
    fn orphan_files_are_warned_about_in_name_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let base = dir.path();
        for name in ["b", "a", "kept"] {
            write(base, &format!("templates/draft/{name}.txt"), b"x");
        }
        write(base, "templates/draft/notes.md", b"x");
        let ids: HashSet<String> = ["kept".to_string()].into();
        let warnings = orphan_warnings(CatalogKind::DraftTemplates, base, &ids, "d.csv");
        assert_eq!(warnings.len(), 2);
        assert!(
            warnings[0].ends_with("a.txt: no draft templates row \"a\" in d.csv; file skipped")
        );
        assert!(warnings[1].contains("b.txt: no draft templates row \"b\""));
    }
}
