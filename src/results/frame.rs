//! CSV as the reference's pandas writes and reads it (docs/reference.md, "Results" §3.1, §6.3,
//! §10): `DataFrame.to_csv(index=False)` cells and quoting, and `pd.read_csv` with its C
//! tokenizer (`\r`, `\n` and `\r\n` end a record outside quotes, blank and all-blank lines are
//! skipped, a leading BOM is dropped) and its per-column type inference (int64, float64, bool,
//! object; the default NA strings).

use super::pytext::float_repr;

/// Writes one cell as `to_csv` does: quoted only when it holds `,`, `"` or `\n` (a lone `\r`
/// is written raw), quotes doubled.
pub fn push_cell(out: &mut Vec<u8>, cell: &str) {
    if cell.bytes().any(|b| matches!(b, b',' | b'"' | b'\n')) {
        out.push(b'"');
        for b in cell.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(cell.as_bytes());
    }
}

/// Writes one record (cells separated by `,`, ended by `\n`).
pub fn push_record<S: AsRef<str>>(out: &mut Vec<u8>, cells: &[S]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_cell(out, cell.as_ref());
    }
    out.push(b'\n');
}

/// Why `read_csv` fails on a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Not UTF-8.
    NotUtf8 {
        /// Byte offset of the first bad byte.
        at: usize,
    },
    /// No header at all (an empty file).
    NoColumns,
    /// A quoted field never closed.
    EofInString,
    /// A data row with more fields than the header (checked when all columns are read).
    TooManyFields {
        /// 1-based record number (the header is 1).
        record: usize,
        /// Fields expected.
        expected: usize,
        /// Fields seen.
        saw: usize,
    },
    /// A requested column is not in the header.
    MissingColumns {
        /// The missing names.
        missing: Vec<String>,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotUtf8 { at } => write!(f, "not valid UTF-8 (at byte {at})"),
            ReadError::NoColumns => f.write_str("no columns to parse (the file is empty)"),
            ReadError::EofInString => f.write_str("a quoted field is never closed"),
            ReadError::TooManyFields {
                record,
                expected,
                saw,
            } => write!(
                f,
                "record {record} has {saw} fields, the header has {expected}"
            ),
            ReadError::MissingColumns { missing } => {
                write!(f, "missing column(s) {}", missing.join(", "))
            }
        }
    }
}

/// Splits a CSV text into records as pandas' C tokenizer does (default dialect,
/// `skip_blank_lines=True`). The text must be UTF-8 (checked first).
pub fn tokenize(bytes: &[u8]) -> Result<Vec<Vec<String>>, ReadError> {
    std::str::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        at: e.valid_up_to(),
    })?;
    let mut tokenizer = Tokenizer::new(bytes);
    let mut records = Vec::new();
    while let Some(record) = tokenizer
        .next_record()
        .map_err(|_| ReadError::EofInString)?
    {
        records.push(record);
    }
    Ok(records)
}

#[derive(PartialEq, Clone, Copy)]
enum St {
    StartRecord,
    StartField,
    InField,
    InQuoted,
    QuoteInQuoted,
    EatCrnl,
    EatCrnlNop,
    WhitespaceLine,
}

/// pandas' C tokenizer as a stream of records over a reader (the aggregated scores of a
/// million evaluations are read back without holding them). A leading UTF-8 BOM is dropped.
pub struct Tokenizer<R> {
    inner: R,
    st: St,
    first: bool,
    field: Vec<u8>,
    /// Blanks of a line that may turn out to be blank.
    blanks: Vec<u8>,
    /// A byte to process again (the C tokenizer's "back up one character").
    again: Option<u8>,
    /// The next record starts with an empty field (`\r,` ended the previous one).
    lead_empty: bool,
    done: bool,
}

impl<R: std::io::BufRead> Tokenizer<R> {
    /// A tokenizer over `inner`.
    pub fn new(inner: R) -> Self {
        Tokenizer {
            inner,
            st: St::StartRecord,
            first: true,
            field: Vec::new(),
            blanks: Vec::new(),
            again: None,
            lead_empty: false,
            done: false,
        }
    }

    fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
        if let Some(b) = self.again.take() {
            return Ok(Some(b));
        }
        if self.first {
            self.first = false;
            let buf = self.inner.fill_buf()?;
            if buf.starts_with(b"\xef\xbb\xbf") {
                self.inner.consume(3);
            }
        }
        let buf = self.inner.fill_buf()?;
        match buf.first() {
            None => Ok(None),
            Some(&b) => {
                self.inner.consume(1);
                Ok(Some(b))
            }
        }
    }

    /// Ends the field at hand as the record's next one, reusing the `String` already in that
    /// place of `record` (fields `0..used` are this record's; the rest are left from earlier
    /// records, kept for their buffers).
    fn end_field(&mut self, record: &mut Vec<String>, used: &mut usize) {
        let text = String::from_utf8_lossy(&self.field);
        match record.get_mut(*used) {
            Some(slot) => {
                slot.clear();
                slot.push_str(&text);
            }
            None => record.push(text.into_owned()),
        }
        *used += 1;
        self.field.clear();
    }

    /// The next record; `Err(InvalidData)` for a quoted field never closed.
    pub fn next_record(&mut self) -> std::io::Result<Option<Vec<String>>> {
        let mut record = Vec::with_capacity(16);
        Ok(self.next_record_into(&mut record)?.then_some(record))
    }

    /// [`Tokenizer::next_record`] into `record` (replaced; its strings' buffers are reused, so
    /// a pass over a million records allocates nothing per field): false at the end.
    pub fn next_record_into(&mut self, record: &mut Vec<String>) -> std::io::Result<bool> {
        let mut used = 0;
        let found = self.fill_record(record, &mut used);
        record.truncate(used);
        found
    }

    fn fill_record(&mut self, record: &mut Vec<String>, used: &mut usize) -> std::io::Result<bool> {
        if self.done {
            return Ok(false);
        }
        if std::mem::take(&mut self.lead_empty) {
            self.field.clear();
            self.end_field(record, used);
        }
        loop {
            // Inside a field, the bytes up to the next one that matters to the state machine
            // are taken in one step (the same transitions, byte by byte, would only push them).
            if self.again.is_none() && matches!(self.st, St::InField | St::InQuoted) {
                let quoted = self.st == St::InQuoted;
                let buf = self.inner.fill_buf()?;
                let n = buf
                    .iter()
                    .position(|&b| {
                        if quoted {
                            b == b'"'
                        } else {
                            b == b',' || b == b'\n' || b == b'\r'
                        }
                    })
                    .unwrap_or(buf.len());
                if n > 0 {
                    self.field.extend_from_slice(&buf[..n]);
                    self.inner.consume(n);
                }
            }
            let Some(c) = self.next_byte()? else {
                self.done = true;
                return match self.st {
                    St::InQuoted => Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "EOF inside string",
                    )),
                    St::InField | St::StartField | St::QuoteInQuoted => {
                        self.end_field(record, used);
                        Ok(true)
                    }
                    St::EatCrnl => Ok(true),
                    _ => Ok(false),
                };
            };
            match self.st {
                St::WhitespaceLine => {
                    if c == b'\n' {
                        self.blanks.clear();
                        self.st = St::StartRecord;
                    } else if c == b'\r' {
                        self.blanks.clear();
                        self.st = St::EatCrnlNop;
                    } else if c == b' ' || c == b'\t' {
                        self.blanks.push(c);
                    } else {
                        // Not blank after all: the blanks start the first field.
                        self.field.append(&mut self.blanks);
                        self.st = St::InField;
                        self.again = Some(c);
                    }
                }
                St::EatCrnlNop => {
                    self.st = St::StartRecord;
                    if c != b'\n' && c != b',' {
                        self.again = Some(c);
                    }
                }
                St::StartRecord => {
                    if c == b'\n' {
                    } else if c == b'\r' {
                        self.st = St::EatCrnlNop;
                    } else if c == b' ' || c == b'\t' {
                        self.blanks.push(c);
                        self.st = St::WhitespaceLine;
                    } else {
                        self.st = St::StartField;
                        self.again = Some(c);
                    }
                }
                St::StartField => {
                    if c == b'\n' {
                        self.end_field(record, used);
                        self.st = St::StartRecord;
                        return Ok(true);
                    } else if c == b'\r' {
                        self.end_field(record, used);
                        self.st = St::EatCrnl;
                    } else if c == b'"' {
                        self.st = St::InQuoted;
                    } else if c == b',' {
                        self.end_field(record, used);
                    } else {
                        self.field.push(c);
                        self.st = St::InField;
                    }
                }
                St::InField => {
                    if c == b'\n' {
                        self.end_field(record, used);
                        self.st = St::StartRecord;
                        return Ok(true);
                    } else if c == b'\r' {
                        self.end_field(record, used);
                        self.st = St::EatCrnl;
                    } else if c == b',' {
                        self.end_field(record, used);
                        self.st = St::StartField;
                    } else {
                        self.field.push(c);
                    }
                }
                St::InQuoted => {
                    if c == b'"' {
                        self.st = St::QuoteInQuoted;
                    } else {
                        self.field.push(c);
                    }
                }
                St::QuoteInQuoted => {
                    if c == b'"' {
                        self.field.push(c);
                        self.st = St::InQuoted;
                    } else if c == b',' {
                        self.end_field(record, used);
                        self.st = St::StartField;
                    } else if c == b'\n' {
                        self.end_field(record, used);
                        self.st = St::StartRecord;
                        return Ok(true);
                    } else if c == b'\r' {
                        self.end_field(record, used);
                        self.st = St::EatCrnl;
                    } else {
                        self.field.push(c);
                        self.st = St::InField;
                    }
                }
                St::EatCrnl => {
                    if c == b'\n' {
                        self.st = St::StartRecord;
                        return Ok(true);
                    } else if c == b',' {
                        // The C tokenizer ends the line and starts the next with an empty field.
                        self.field.clear();
                        self.st = St::StartField;
                        self.lead_empty = true;
                        return Ok(true);
                    } else {
                        self.st = St::StartRecord;
                        self.again = Some(c);
                        return Ok(true);
                    }
                }
            }
        }
    }
}

/// The strings `read_csv` reads as missing by default.
const NA: [&str; 18] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan",
];

/// True when `read_csv` reads `token` as missing.
pub fn is_na(token: &str) -> bool {
    NA.contains(&token) || token == "null"
}

/// A typed cell of a column read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Missing (NaN / None).
    Na,
    /// An integer (int64, or uint64 when larger).
    Int(i128),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Str(String),
}

/// A column's dtype after inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    /// int64 / uint64 (no missing values).
    Int,
    /// float64.
    Float,
    /// bool (no missing values).
    Bool,
    /// object: text, or booleans with missing values.
    Object,
}

/// A column read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Its dtype.
    pub dtype: Dtype,
    /// Its cells, one per row.
    pub cells: Vec<Cell>,
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// pandas' `str_to_int64` / `str_to_uint64`: spaces, a sign, ASCII digits, spaces.
fn parse_int(token: &str) -> Option<i128> {
    let t = token.trim_matches(|c: char| c.is_ascii() && is_c_space(c as u8));
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i128 = digits.parse().ok()?;
    let v = if neg { -v } else { v };
    (v >= i128::from(i64::MIN) && v <= i128::from(u64::MAX)).then_some(v)
}

/// `10^k` as the C literal `1ek` (correctly rounded), for k in 0..=308.
fn pow10(k: usize) -> f64 {
    format!("1e{k}").parse().unwrap_or(f64::INFINITY)
}

/// pandas' `precise_xstrtod` with `skip_trailing` and full consumption (its default float
/// reader): up to 17 significant digits accumulated in a double, then one scaling by a power
/// of ten. `None` on a syntax error or a result out of range.
pub fn xstrtod(token: &str) -> Option<f64> {
    let b = token.as_bytes();
    let mut p = 0;
    while p < b.len() && is_c_space(b[p]) {
        p += 1;
    }
    let mut negative = false;
    if p < b.len() && (b[p] == b'-' || b[p] == b'+') {
        negative = b[p] == b'-';
        p += 1;
    }
    let mut number = 0.0f64;
    let mut exponent: i64 = 0;
    let mut num_digits = 0;
    let mut num_decimals: i64 = 0;
    while p < b.len() && b[p].is_ascii_digit() {
        if num_digits < 17 {
            number = number * 10.0 + f64::from(b[p] - b'0');
            num_digits += 1;
        } else {
            exponent += 1;
        }
        p += 1;
    }
    if p < b.len() && b[p] == b'.' {
        p += 1;
        while num_digits < 17 && p < b.len() && b[p].is_ascii_digit() {
            number = number * 10.0 + f64::from(b[p] - b'0');
            p += 1;
            num_digits += 1;
            num_decimals += 1;
        }
        if num_digits >= 17 {
            while p < b.len() && b[p].is_ascii_digit() {
                p += 1;
            }
        }
        exponent -= num_decimals;
    }
    if num_digits == 0 {
        return None;
    }
    if negative {
        number = -number;
    }
    if p < b.len() && (b[p] == b'e' || b[p] == b'E') {
        p += 1;
        let mut neg_exp = false;
        if p < b.len() && (b[p] == b'-' || b[p] == b'+') {
            neg_exp = b[p] == b'-';
            p += 1;
        }
        let mut n: i64 = 0;
        let mut digits = 0;
        while p < b.len() && b[p].is_ascii_digit() {
            n = n.saturating_mul(10).saturating_add(i64::from(b[p] - b'0'));
            digits += 1;
            p += 1;
        }
        if digits == 0 {
            return None;
        }
        exponent += if neg_exp { -n } else { n };
    }
    if exponent > 308 {
        return None;
    } else if exponent > 0 {
        number *= pow10(exponent as usize);
    } else if exponent < -308 {
        if exponent < -616 {
            number = 0.0;
        } else {
            number /= pow10((-308 - exponent) as usize);
            number /= pow10(308);
        }
    } else {
        number /= pow10((-exponent) as usize);
    }
    if number.is_infinite() {
        return None;
    }
    while p < b.len() && is_c_space(b[p]) {
        p += 1;
    }
    (p == b.len()).then_some(number)
}

/// A float cell as `read_csv` reads it: `precise_xstrtod`, else the infinity spellings.
fn parse_float(token: &str) -> Option<f64> {
    xstrtod(token).or_else(|| match token.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    })
}

fn parse_bool(token: &str) -> Option<bool> {
    if token.eq_ignore_ascii_case("true") {
        Some(true)
    } else if token.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `read_csv`'s type inference for one column, fed token by token (so a column of a million
/// rows is typed without holding it): the first dtype all its values parse as, in the order
/// int64 (no missing values), float64, bool, object.
#[derive(Debug, Clone, Copy)]
pub struct Inference {
    rows: u64,
    any_na: bool,
    all_int: bool,
    all_signed: bool,
    no_negative: bool,
    all_float: bool,
    all_bool: bool,
}

impl Default for Inference {
    fn default() -> Self {
        Inference {
            rows: 0,
            any_na: false,
            all_int: true,
            all_signed: true,
            no_negative: true,
            all_float: true,
            all_bool: true,
        }
    }
}

impl Inference {
    /// Takes one token (`None`: the row was short).
    pub fn add(&mut self, token: Option<&str>) {
        self.rows += 1;
        let Some(t) = token.filter(|t| !is_na(t)) else {
            self.any_na = true;
            return;
        };
        if self.all_int {
            match parse_int(t) {
                Some(v) => {
                    self.all_signed &= v <= i128::from(i64::MAX);
                    self.no_negative &= v >= 0;
                }
                None => self.all_int = false,
            }
        }
        if self.all_float && parse_float(t).is_none() {
            self.all_float = false;
        }
        if self.all_bool && parse_bool(t).is_none() {
            self.all_bool = false;
        }
    }

    /// The column's dtype.
    pub fn dtype(&self) -> Dtype {
        if self.rows > 0 && !self.any_na && self.all_int && (self.all_signed || self.no_negative) {
            Dtype::Int
        } else if self.all_float {
            Dtype::Float
        } else if self.all_bool {
            if self.any_na {
                Dtype::Object
            } else {
                Dtype::Bool
            }
        } else {
            Dtype::Object
        }
    }
}

/// A token as a cell of a column of `dtype` (from [`Inference::dtype`]).
pub fn cell(token: Option<&str>, dtype: Dtype, all_bool: bool) -> Cell {
    let Some(t) = token.filter(|t| !is_na(t)) else {
        return Cell::Na;
    };
    match dtype {
        Dtype::Int => parse_int(t).map_or(Cell::Na, Cell::Int),
        Dtype::Float => Cell::Float(parse_float(t).unwrap_or(f64::NAN)),
        Dtype::Bool => parse_bool(t).map_or(Cell::Na, Cell::Bool),
        Dtype::Object if all_bool => parse_bool(t).map_or(Cell::Na, Cell::Bool),
        Dtype::Object => Cell::Str(t.to_string()),
    }
}

impl Inference {
    /// True when the column is booleans with missing values (object dtype holding bools).
    pub fn bools_with_gaps(&self) -> bool {
        self.dtype() == Dtype::Object && self.all_bool
    }

    /// The cell of `token` in this column.
    pub fn cell(&self, token: Option<&str>) -> Cell {
        cell(token, self.dtype(), self.bools_with_gaps())
    }
}

/// Types one column's tokens as `read_csv` does (`None`: the row was short).
pub fn infer(tokens: &[Option<&str>]) -> Column {
    let mut inference = Inference::default();
    for t in tokens {
        inference.add(*t);
    }
    Column {
        dtype: inference.dtype(),
        cells: tokens.iter().map(|t| inference.cell(*t)).collect(),
    }
}

impl Cell {
    /// The cell as `to_csv` writes it (missing → empty).
    pub fn csv_text(&self) -> String {
        match self {
            Cell::Na => String::new(),
            Cell::Int(v) => v.to_string(),
            Cell::Float(f) if f.is_nan() => String::new(),
            Cell::Float(f) => float_repr(*f),
            Cell::Bool(true) => "True".to_string(),
            Cell::Bool(false) => "False".to_string(),
            Cell::Str(s) => s.clone(),
        }
    }

    /// The cell as `astype(str)` makes it (missing → `nan`).
    pub fn str_text(&self) -> String {
        match self {
            Cell::Na => "nan".to_string(),
            Cell::Float(f) => float_repr(*f),
            other => other.csv_text(),
        }
    }

    /// The cell in a column that pandas upcast to float64 to hold missing values (an int
    /// column concatenated with blocks lacking it): ints print as floats.
    pub fn upcast_text(&self) -> String {
        match self {
            Cell::Int(v) => float_repr(*v as f64),
            other => other.csv_text(),
        }
    }

    /// True when missing (NaN included).
    pub fn is_na(&self) -> bool {
        matches!(self, Cell::Na) || matches!(self, Cell::Float(f) if f.is_nan())
    }

    /// A numeric value (ints and floats; bools as 0/1).
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Int(v) => Some(*v as f64),
            Cell::Float(f) => Some(*f),
            Cell::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    /// pandas' sort order of group keys of one column (numbers numerically, text by code
    /// point, `False < True`).
    pub fn sort_cmp(&self, other: &Cell) -> std::cmp::Ordering {
        match (self, other) {
            (Cell::Str(a), Cell::Str(b)) => a.cmp(b),
            (Cell::Bool(a), Cell::Bool(b)) => a.cmp(b),
            (a, b) => match (a.number(), b.number()) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => a.csv_text().cmp(&b.csv_text()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        tokenize(text.as_bytes()).unwrap()
    }

    #[test]
    fn records_end_at_cr_lf_and_crlf_outside_quotes() {
        assert_eq!(rows("a,b\n1,2\n"), [["a", "b"], ["1", "2"]]);
        assert_eq!(rows("a,b\r\n1,\"x\ny\"\r\n"), [["a", "b"], ["1", "x\ny"]]);
        assert_eq!(
            rows("a,b\n1,x\ry\n"),
            vec![vec!["a", "b"], vec!["1", "x"], vec!["y"]]
        );
        assert_eq!(
            rows("a,b\n1,x\r,y\n"),
            vec![vec!["a", "b"], vec!["1", "x"], vec!["", "y"]]
        );
        assert_eq!(rows("a\n\n  \n\t\nx\n\r\r\ny"), [["a"], ["x"], ["y"]]);
        assert_eq!(
            rows("\u{feff}a\n \"q\",1\n"),
            vec![vec!["a"], vec![" \"q\"", "1"]]
        );
        assert_eq!(rows("a\n\"x\"\"y\"z\n"), [["a"], ["x\"yz"]]);
        assert_eq!(tokenize(b"a\n\"open"), Err(ReadError::EofInString));
        assert!(matches!(
            tokenize(b"a\n\xff"),
            Err(ReadError::NotUtf8 { at: 2 })
        ));
        assert!(rows("").is_empty());
    }

    #[test]
    fn cells_are_typed_like_read_csv() {
        let col = |tokens: &[&str]| infer(&tokens.iter().map(|t| Some(*t)).collect::<Vec<_>>());
        assert_eq!(col(&["007", " 7", "+3"]).dtype, Dtype::Int);
        assert_eq!(col(&["7", ""]).dtype, Dtype::Float);
        assert_eq!(col(&["7", "NA"]).cells[0], Cell::Float(7.0));
        assert_eq!(col(&["7.5", "inf", "-Infinity"]).dtype, Dtype::Float);
        assert_eq!(col(&["True", "false"]).dtype, Dtype::Bool);
        assert_eq!(col(&["True", ""]).dtype, Dtype::Object);
        assert_eq!(col(&["a", "1"]).cells[1], Cell::Str("1".into()));
        assert_eq!(col(&["None", "null", "n/a"]).dtype, Dtype::Float);
        assert_eq!(col(&["1_0"]).dtype, Dtype::Object);
        assert_eq!(
            col(&["NAN"]).dtype,
            Dtype::Object,
            "not a default NA string"
        );
        assert_eq!(
            col(&["18446744073709551615"]).cells[0],
            Cell::Int(u64::MAX.into())
        );
        assert_eq!(col(&["18446744073709551616"]).dtype, Dtype::Float);
        assert_eq!(
            col(&["1e400"]).dtype,
            Dtype::Object,
            "out of range for the C reader"
        );
        assert_eq!(xstrtod("4.25"), Some(4.25));
        assert_eq!(xstrtod(" 1e+16 "), Some(1e16));
        assert_eq!(xstrtod("1e"), None);
        assert_eq!(xstrtod("."), None);
    }

    #[test]
    fn cells_print_like_to_csv() {
        let mut out = Vec::new();
        push_record(
            &mut out,
            &["m,comma", "q\"uote", "line\nbreak", "cr\ronly", " sp "],
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"m,comma\",\"q\"\"uote\",\"line\nbreak\",cr\ronly, sp \n"
        );
        assert_eq!(Cell::Int(7).upcast_text(), "7.0");
        assert_eq!(Cell::Na.str_text(), "nan");
        assert_eq!(Cell::Float(f64::NAN).csv_text(), "");
    }
}
