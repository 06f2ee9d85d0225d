//! A small CSV record reader shared by catalog import and `@file:` CSV includes.
//!
//! Why not the `csv` crate: it accepts an unterminated quoted field at end of input without an
//! error, and reports the line of a CRLF-terminated record as the previous line. Both matter
//! here: a truncated catalog must be refused (D9, issue 7), and every error must name the
//! physical line (D7). This reader implements the dialect both inputs use (Python's `excel`
//! dialect, which pandas also follows): `,` separates fields, `"` quotes, `""` inside quotes is
//! one quote, records end at `\n`, `\r\n` or `\r`; like Python, a quote inside an unquoted field
//! is literal, and text after a closing quote is appended to the field.
//!
//! It streams: memory is bounded by the longest record.

use std::io::{BufRead, ErrorKind};

/// One record: its fields as raw bytes and the physical line it starts on.
#[derive(Debug, Default, Clone)]
pub struct RawRecord {
    data: Vec<u8>,
    ends: Vec<usize>,
    quoted: Vec<bool>,
    /// 1-based physical line where the record starts.
    pub line: u64,
}

impl RawRecord {
    /// Number of fields (0 for a blank line).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True for a blank line (no field at all).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The raw bytes of field `i`.
    pub fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    /// Whether field `i` was written in quotes.
    pub fn was_quoted(&self, i: usize) -> bool {
        self.quoted[i]
    }

    /// Iterates over the raw fields.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(move |i| self.field(i))
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.quoted.clear();
    }
}

/// Why a record could not be read.
#[derive(Debug)]
pub enum CsvError {
    /// A quoted field was still open at the end of the input.
    UnterminatedQuote {
        /// The line where the open field starts.
        line: u64,
    },
    /// Reading failed.
    Io(std::io::Error),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    StartField,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// The state of the record being scanned.
struct Scan {
    state: State,
    /// Whether the current field opened with a quote.
    field_quoted: bool,
    /// Whether the record has any field yet (a blank line has none).
    seen_any: bool,
    /// The line where the current field starts (for an unterminated quote).
    field_line: u64,
    universal: bool,
}

impl Scan {
    /// Feeds one byte (on physical line `line`, counted after a line end) into `rec`; true when
    /// it ends the record.
    fn byte(&mut self, b: u8, line: u64, rec: &mut RawRecord) -> bool {
        match self.state {
            State::StartField => {
                self.field_line = line;
                match b {
                    b'"' => {
                        self.state = State::Quoted;
                        self.field_quoted = true;
                        self.seen_any = true;
                    }
                    b',' => {
                        rec.ends.push(rec.data.len());
                        rec.quoted.push(false);
                        self.seen_any = true;
                    }
                    b'\r' | b'\n' => {
                        if self.seen_any {
                            rec.ends.push(rec.data.len());
                            rec.quoted.push(false);
                        }
                        return true;
                    }
                    _ => {
                        rec.data.push(b);
                        self.state = State::Unquoted;
                        self.seen_any = true;
                    }
                }
            }
            State::Unquoted => match b {
                b',' => {
                    rec.ends.push(rec.data.len());
                    rec.quoted.push(self.field_quoted);
                    self.field_quoted = false;
                    self.state = State::StartField;
                }
                b'\r' | b'\n' => {
                    rec.ends.push(rec.data.len());
                    rec.quoted.push(self.field_quoted);
                    return true;
                }
                _ => rec.data.push(b),
            },
            State::Quoted => match b {
                b'"' => self.state = State::QuoteInQuoted,
                b'\r' if self.universal => rec.data.push(b'\n'),
                _ => rec.data.push(b),
            },
            State::QuoteInQuoted => match b {
                b'"' => {
                    rec.data.push(b'"');
                    self.state = State::Quoted;
                }
                b',' => {
                    rec.ends.push(rec.data.len());
                    rec.quoted.push(true);
                    self.field_quoted = false;
                    self.state = State::StartField;
                }
                b'\r' | b'\n' => {
                    rec.ends.push(rec.data.len());
                    rec.quoted.push(true);
                    return true;
                }
                _ => {
                    rec.data.push(b);
                    self.state = State::Unquoted;
                }
            },
        }
        false
    }
}

impl Scan {
    /// Copies the run of ordinary bytes at the start of `rest` into the open field — the bytes
    /// [`Scan::byte`] would push one by one — and returns its length. It stops before any byte
    /// that changes the state or counts a line (`,` `\r` `\n` unquoted; `"` `\r` `\n` quoted).
    fn run(&self, rest: &[u8], rec: &mut RawRecord) -> usize {
        let stop = match self.state {
            State::Unquoted => memchr::memchr3(b',', b'\r', b'\n', rest),
            State::Quoted => memchr::memchr3(b'"', b'\r', b'\n', rest),
            State::StartField | State::QuoteInQuoted => return 0,
        };
        let len = stop.unwrap_or(rest.len());
        rec.data.extend_from_slice(&rest[..len]);
        len
    }
}

/// Options for [`CsvReader`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Dialect {
    /// Turn `\r\n` and `\r` inside quoted fields into `\n` (Python's universal newlines, which
    /// the reference applies to `@file:` includes by reading them as text first).
    pub universal_newlines: bool,
    /// Keep a byte order mark at the start as part of the first field, as Python's `csv`
    /// module does on text read as plain UTF-8 (the reference's `@file:` includes,
    /// docs/decisions.md D20). By default it is skipped, as pandas does for catalogs.
    pub keep_bom: bool,
}

/// Reads records from a buffered byte source. A UTF-8 byte-order mark at the start is skipped,
/// unless the dialect keeps it.
pub struct CsvReader<R> {
    inner: R,
    dialect: Dialect,
    /// The next physical line number.
    line: u64,
    /// A `\r` was the last byte consumed (so a following `\n` is part of the same line end).
    after_cr: bool,
    started: bool,
    done: bool,
}

impl<R: BufRead> CsvReader<R> {
    /// A reader over `inner`.
    pub fn new(inner: R, dialect: Dialect) -> Self {
        CsvReader {
            inner,
            dialect,
            line: 1,
            after_cr: false,
            started: false,
            done: false,
        }
    }

    fn skip_bom(&mut self) -> Result<(), CsvError> {
        let buf = self.inner.fill_buf().map_err(CsvError::Io)?;
        if buf.starts_with(b"\xEF\xBB\xBF") {
            self.inner.consume(3);
        } else if buf.len() < 3 && !buf.is_empty() && b"\xEF\xBB\xBF".starts_with(buf) {
            // A BOM split across reads is vanishingly rare; read byte by byte to be exact.
            let mut head = Vec::new();
            while head.len() < 3 {
                let chunk = self.inner.fill_buf().map_err(CsvError::Io)?;
                if chunk.is_empty() {
                    break;
                }
                head.push(chunk[0]);
                self.inner.consume(1);
                if !b"\xEF\xBB\xBF".starts_with(&head) {
                    break;
                }
            }
            if head != b"\xEF\xBB\xBF" {
                return Err(CsvError::Io(std::io::Error::new(
                    ErrorKind::InvalidData,
                    "unreadable start of file",
                )));
            }
        }
        Ok(())
    }

    /// Reads the next record into `rec`. Returns `Ok(false)` at the end of the input.
    /// A blank line yields a record with no fields.
    pub fn read_record(&mut self, rec: &mut RawRecord) -> Result<bool, CsvError> {
        if !self.started {
            self.started = true;
            if !self.dialect.keep_bom {
                self.skip_bom()?;
            }
        }
        rec.clear();
        if self.done {
            return Ok(false);
        }
        // Line bookkeeping is kept in locals while the input buffer is borrowed.
        let mut line = self.line;
        let mut after_cr = self.after_cr;
        let result = self.read_into(rec, &mut line, &mut after_cr);
        self.line = line;
        self.after_cr = after_cr;
        result
    }

    fn read_into(
        &mut self,
        rec: &mut RawRecord,
        line: &mut u64,
        after_cr: &mut bool,
    ) -> Result<bool, CsvError> {
        let universal = self.dialect.universal_newlines;
        let mut scan = Scan {
            state: State::StartField,
            field_quoted: false,
            seen_any: false,
            field_line: *line,
            universal,
        };
        let mut record_line: Option<u64> = None;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(CsvError::Io(e)),
            };
            if buf.is_empty() {
                self.done = true;
                if scan.state == State::Quoted {
                    return Err(CsvError::UnterminatedQuote {
                        line: scan.field_line,
                    });
                }
                if !scan.seen_any {
                    return Ok(false);
                }
                rec.ends.push(rec.data.len());
                rec.quoted.push(scan.field_quoted);
                rec.line = record_line.unwrap_or(*line);
                return Ok(true);
            }
            let mut consumed = 0;
            let mut finished = false;
            while consumed < buf.len() {
                let b = buf[consumed];
                consumed += 1;
                // A `\n` right after a `\r` completes a CRLF line end that was already counted.
                if *after_cr {
                    *after_cr = false;
                    if b == b'\n' {
                        if scan.state == State::Quoted && !universal {
                            rec.data.push(b'\n');
                        }
                        continue;
                    }
                }
                if record_line.is_none() {
                    record_line = Some(*line);
                }
                let is_eol = b == b'\r' || b == b'\n';
                if is_eol {
                    *line += 1;
                    *after_cr = b == b'\r';
                }
                if scan.byte(b, *line, rec) {
                    finished = true;
                    break;
                }
                if !*after_cr {
                    consumed += scan.run(&buf[consumed..], rec);
                }
            }
            self.inner.consume(consumed);
            if finished {
                rec.line = record_line.unwrap_or(*line);
                return Ok(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &str) -> Result<Vec<(u64, Vec<String>)>, String> {
        let records = read_with(data.as_bytes(), 8192, false)?;
        Ok(records
            .into_iter()
            .map(|(line, fields, _)| {
                let texts = fields
                    .into_iter()
                    .map(|f| String::from_utf8(f).expect("the tests read UTF-8"))
                    .collect();
                (line, texts)
            })
            .collect())
    }

    fn fields(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_lf_crlf_and_mixed_line_ends_with_physical_lines() {
        let got = read_all("a,b\r\n1,2\n3,4\r5,6").unwrap();
        assert_eq!(
            got,
            vec![
                (1, fields(&["a", "b"])),
                (2, fields(&["1", "2"])),
                (3, fields(&["3", "4"])),
                (4, fields(&["5", "6"])),
            ]
        );
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_newlines() {
        let got = read_all("a,b\n\"x, \"\"y\"\"\",\"multi\nline\"\nnext,1\n").unwrap();
        assert_eq!(got[1], (2, fields(&["x, \"y\"", "multi\nline"])));
        assert_eq!(got[2], (4, fields(&["next", "1"])));
    }

    #[test]
    fn blank_lines_are_records_without_fields() {
        let got = read_all("a\n\nb\n").unwrap();
        assert_eq!(
            got,
            vec![(1, fields(&["a"])), (2, vec![]), (3, fields(&["b"]))]
        );
    }

    #[test]
    fn an_unterminated_quote_is_an_error_naming_its_line() {
        assert_eq!(
            read_all("a,b\n1,\"x\n2,3\n").unwrap_err(),
            "unterminated at 2"
        );
    }

    #[test]
    fn python_leniencies() {
        // A quote inside an unquoted field is literal; text after a closing quote is appended.
        let got = read_all("x\"y,\"a\" b\n").unwrap();
        assert_eq!(got[0].1, fields(&["x\"y", "a b"]));
        // Trailing empty field and quoted empty field.
        let got = read_all("a,\n\"\"\n").unwrap();
        assert_eq!(got, vec![(1, fields(&["a", ""])), (2, fields(&[""]))]);
    }

    /// Why we keep this reader rather than the `csv` crate (a dev-dependency for this test
    /// only): on the same bytes, the crate accepts a truncated file's open quote as a complete
    /// field, and it skips blank lines, which import must see (a blank header line before rows
    /// is refused rather than read as if the next line were the header, D9).
    #[test]
    fn the_csv_crate_reads_these_cases_differently() {
        let truncated = "id,name\nm1,\"never closed\n";
        let mut theirs = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(truncated.as_bytes());
        let records: Vec<csv::StringRecord> = theirs
            .records()
            .collect::<Result<_, _>>()
            .expect("the csv crate reads a truncated file without an error");
        assert_eq!(records[1].get(1), Some("never closed\n"));
        assert_eq!(read_all(truncated).unwrap_err(), "unterminated at 2");

        let blank = "id\n\nx\n";
        let mut theirs = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(blank.as_bytes());
        let records: Vec<csv::StringRecord> = theirs
            .records()
            .collect::<Result<_, _>>()
            .expect("the csv crate reads blank lines");
        assert_eq!(records.len(), 2, "the blank line is not a record");
        let ours = read_all(blank).unwrap();
        assert_eq!(
            ours,
            vec![(1, fields(&["id"])), (2, vec![]), (3, fields(&["x"]))]
        );
    }

    #[test]
    fn bom_is_skipped_unless_kept() {
        let got = read_all("\u{feff}id\nx\n").unwrap();
        assert_eq!(got[0].1, fields(&["id"]));
        // Kept, it is part of the first field; a quote after it is then literal, as in Python.
        let mut reader = CsvReader::new(
            "\u{feff}\"a,b\",c\n".as_bytes(),
            Dialect {
                keep_bom: true,
                ..Dialect::default()
            },
        );
        let mut rec = RawRecord::default();
        assert!(reader.read_record(&mut rec).unwrap());
        let got: Vec<&[u8]> = rec.iter().collect();
        assert_eq!(got, [&b"\xEF\xBB\xBF\"a"[..], b"b\"", b"c"]);
    }

    #[test]
    fn universal_newlines_inside_quotes() {
        let mut reader = CsvReader::new(
            "\"a\r\nb\rc\"\n".as_bytes(),
            Dialect {
                universal_newlines: true,
                ..Dialect::default()
            },
        );
        let mut rec = RawRecord::default();
        assert!(reader.read_record(&mut rec).unwrap());
        assert_eq!(rec.field(0), b"a\nb\nc");
    }

    /// Every record (line, fields, quoted flags) or the error, read through a buffer of
    /// `capacity` bytes.
    type Read = Result<Vec<(u64, Vec<Vec<u8>>, Vec<bool>)>, String>;

    fn read_with(data: &[u8], capacity: usize, universal_newlines: bool) -> Read {
        let inner = std::io::BufReader::with_capacity(capacity, data);
        let mut reader = CsvReader::new(
            inner,
            Dialect {
                universal_newlines,
                ..Dialect::default()
            },
        );
        let mut rec = RawRecord::default();
        let mut out = Vec::new();
        loop {
            match reader.read_record(&mut rec) {
                Ok(true) => out.push((
                    rec.line,
                    rec.iter().map(<[u8]>::to_vec).collect(),
                    rec.quoted.clone(),
                )),
                Ok(false) => return Ok(out),
                Err(CsvError::UnterminatedQuote { line }) => {
                    return Err(format!("unterminated at {line}"));
                }
                Err(CsvError::Io(e)) => return Err(e.to_string()),
            }
        }
    }

    proptest::proptest! {
        /// A one-byte buffer leaves the run copier nothing to copy, so every byte goes through
        /// the state machine: any buffer size must read exactly the same records.
        #[test]
        fn runs_of_ordinary_bytes_read_as_byte_by_byte(
            parts in proptest::collection::vec(
                proptest::sample::select(vec!["a", "bc", ",", "\"", "\r", "\n", "\r\n", "\u{e9}", " "]),
                0..40,
            ),
            capacity in 2usize..9,
            universal in proptest::bool::ANY,
        ) {
            let data = parts.concat();
            let bytewise = read_with(data.as_bytes(), 1, universal);
            proptest::prop_assert_eq!(read_with(data.as_bytes(), capacity, universal), bytewise.clone());
            proptest::prop_assert_eq!(read_with(data.as_bytes(), 8192, universal), bytewise);
        }
    }
}
