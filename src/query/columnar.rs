//! A query's rows as a Parquet file (`query --format parquet`, Python's `query_arrow`),
//! streamed: rows are held one row group at a time (at most [`ROW_GROUP_ROWS`] rows or about
//! [`ROW_GROUP_BYTES`] of text and blobs) and each full group is written before the next is
//! read, so memory stays bounded whatever the row count (docs/decisions.md D31).
//!
//! Column types, fixed before the first group is written:
//! 1. a column's **declared type** decides, by SQLite's affinity rules (sqlite.org/datatype3,
//!    §3.1): a name containing `INT` → int64, `CHAR`/`CLOB`/`TEXT` → utf8, `BLOB` → binary,
//!    `REAL`/`FLOA`/`DOUB` → double (on a team store, the server's column type: integers and
//!    `bool` → int64, `float4`/`float8` → double, text types → utf8, `bytea` → binary);
//! 2. a column without one (an expression, `NUMERIC`, no type) takes the storage classes of its
//!    values in the first row group: integers only → int64; reals, or integers and reals →
//!    double; text only → utf8; blobs only → binary; no value but NULL → utf8; any other mix →
//!    utf8, numbers written as text.
//!
//! Every column is nullable (NULL is a null). A later value of another class is converted when
//! nothing is lost in a way a reader would not expect — an integer in a double column becomes
//! that double, an integer or real in a utf8 column its text as SQLite prints it, text in a
//! binary column its bytes; text that is not valid UTF-8 has its invalid bytes replaced by
//! U+FFFD, as the JSON formats do. Anything else (text or a blob in a number column, a real in
//! an int64 column, a number or blob where bytes or text are expected by the other) is refused
//! naming the column, the row and the way out: a `cast(…)` in the statement. The file is then
//! incomplete and is not kept (`--out` renames it into place only when the query finished).

use std::io::{self, Write};
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use rusqlite::types::ValueRef;

use super::{ColumnType, RealText};
use crate::error::{Error, Result, UsageError};

/// The most rows one row group holds.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// A row group is written once its text and blobs reach this many bytes, even when it holds
/// fewer than [`ROW_GROUP_ROWS`] rows (huge values keep memory bounded too).
pub const ROW_GROUP_BYTES: usize = 32 << 20;

/// A Parquet column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int64,
    Double,
    Utf8,
    Binary,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Int64 => "int64",
            Kind::Double => "double",
            Kind::Utf8 => "utf8",
            Kind::Binary => "binary",
        }
    }
}

/// One held value.
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

impl Cell {
    fn of(value: ValueRef<'_>) -> Cell {
        match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Integer(i),
            ValueRef::Real(f) => Cell::Real(f),
            ValueRef::Text(t) => Cell::Text(t.to_vec()),
            ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
        }
    }

    fn class(&self) -> &'static str {
        match self {
            Cell::Null => "NULL",
            Cell::Integer(_) => "an integer",
            Cell::Real(_) => "a real",
            Cell::Text(_) => "text",
            Cell::Blob(_) => "a blob",
        }
    }
}

/// A writer that keeps the first error its inner writer gave, so a closed pipe or a full disk
/// is reported as what it is rather than as the Parquet library's wrapping of it.
struct Tracked<W> {
    inner: W,
    failed: Option<io::Error>,
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            self.failed
                .get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            self.failed
                .get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
        })
    }
}

/// What a write came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Written (or held for the next row group).
    Yes,
    /// The reader of the output went away (a closed pipe): stop without an error.
    Closed,
}

/// Writes a query's rows as a Parquet file into `W`, one row group at a time.
pub struct ParquetWriter<W: Write + Send> {
    /// Where errors of the output say they happened (a path, or `stdout`).
    shown: String,
    names: Vec<String>,
    declared: Vec<ColumnType>,
    /// The columns' types, once the first row group fixed them.
    kinds: Vec<Kind>,
    out: Option<Tracked<W>>,
    file: Option<SerializedFileWriter<Tracked<W>>>,
    /// The held row group, column by column.
    held: Vec<Vec<Cell>>,
    held_rows: usize,
    held_bytes: usize,
    /// Rows written before the held ones (for the row numbers errors name).
    written_rows: u64,
    /// Formats reals as SQLite prints them, when a real goes into a utf8 column.
    scratch: Option<rusqlite::Connection>,
}

impl<W: Write + Send> ParquetWriter<W> {
    /// A writer for a result with these columns. `declared` holds one type per column (fewer
    /// means the rest are [`ColumnType::Unknown`]). Two columns of one name are refused: a
    /// Parquet reader addresses columns by name.
    pub fn new(
        out: W,
        shown: &str,
        names: &[String],
        declared: &[ColumnType],
    ) -> Result<ParquetWriter<W>> {
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(UsageError::ParquetDuplicateColumn {
                    column: crate::textfmt::capped_debug(name),
                }
                .into());
            }
        }
        let declared = (0..names.len())
            .map(|i| declared.get(i).copied().unwrap_or(ColumnType::Unknown))
            .collect();
        Ok(ParquetWriter {
            shown: shown.to_string(),
            names: names.to_vec(),
            declared,
            kinds: Vec::new(),
            out: Some(Tracked {
                inner: out,
                failed: None,
            }),
            file: None,
            held: names.iter().map(|_| Vec::new()).collect(),
            held_rows: 0,
            held_bytes: 0,
            written_rows: 0,
            scratch: None,
        })
    }

    /// Holds one row; writes the row group when it is full.
    pub fn row(&mut self, row: &[ValueRef<'_>]) -> Result<Written> {
        for (column, value) in self.held.iter_mut().zip(row) {
            if let ValueRef::Text(b) | ValueRef::Blob(b) = value {
                self.held_bytes += b.len();
            }
            column.push(Cell::of(*value));
        }
        self.held_rows += 1;
        if self.held_rows >= ROW_GROUP_ROWS || self.held_bytes >= ROW_GROUP_BYTES {
            return self.flush();
        }
        Ok(Written::Yes)
    }

    /// Writes the held rows and the file's footer; returns the output.
    pub fn finish(mut self) -> Result<(Written, Option<W>)> {
        if self.held_rows > 0 || self.file.is_none() {
            // An empty result still gets a schema (from the declared types; utf8 otherwise).
            if self.flush()? == Written::Closed {
                return Ok((Written::Closed, None));
            }
        }
        let Some(file) = self.file.take() else {
            return Err(internal("the Parquet file was started", String::new()));
        };
        let outcome = file.into_inner();
        match outcome {
            Ok(mut tracked) => match tracked.flush() {
                Ok(()) => Ok((Written::Yes, Some(tracked.inner))),
                Err(e) => self.io_failure(e).map(|w| (w, None)),
            },
            Err(e) => self.parquet_failure(e).map(|w| (w, None)),
        }
    }

    /// Fixes the columns' types from the held rows (the first time), then writes them as one
    /// row group.
    fn flush(&mut self) -> Result<Written> {
        if self.file.is_none() {
            self.kinds = (0..self.names.len()).map(|i| self.kind_of(i)).collect();
            let Some(out) = self.out.take() else {
                return Err(internal("the Parquet output is there", String::new()));
            };
            let schema = self.schema()?;
            // Snappy: the codec every Parquet reader has, pure Rust (docs/decisions.md D31).
            let props = Arc::new(
                WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .build(),
            );
            match SerializedFileWriter::new(out, schema, props) {
                Ok(file) => self.file = Some(file),
                Err(e) => return self.parquet_failure(e),
            }
        }
        if self.held_rows == 0 {
            return Ok(Written::Yes);
        }
        let columns: Vec<Vec<Cell>> = self
            .held
            .iter_mut()
            .map(|c| std::mem::replace(c, Vec::with_capacity(c.len())))
            .collect();
        let rows = self.held_rows;
        self.held_rows = 0;
        self.held_bytes = 0;
        let mut chunks = Vec::with_capacity(columns.len());
        for (i, cells) in columns.into_iter().enumerate() {
            chunks.push(self.chunk(i, cells)?);
        }
        let Some(file) = self.file.as_mut() else {
            return Err(internal("the Parquet file was started", String::new()));
        };
        let result = write_group(file, chunks);
        self.written_rows += rows as u64;
        match result {
            Ok(()) => Ok(Written::Yes),
            Err(e) => self.parquet_failure(e),
        }
    }

    /// Column `i`'s Parquet type: its declared type, else its held values' classes.
    fn kind_of(&self, i: usize) -> Kind {
        match self.declared[i] {
            ColumnType::Integer => return Kind::Int64,
            ColumnType::Real => return Kind::Double,
            ColumnType::Text => return Kind::Utf8,
            ColumnType::Blob => return Kind::Binary,
            ColumnType::Unknown => {}
        }
        let (mut ints, mut reals, mut texts, mut blobs) = (false, false, false, false);
        for cell in &self.held[i] {
            match cell {
                Cell::Null => {}
                Cell::Integer(_) => ints = true,
                Cell::Real(_) => reals = true,
                Cell::Text(_) => texts = true,
                Cell::Blob(_) => blobs = true,
            }
        }
        match (ints, reals, texts, blobs) {
            (true, false, false, false) => Kind::Int64,
            (_, true, false, false) => Kind::Double,
            (false, false, false, true) => Kind::Binary,
            _ => Kind::Utf8,
        }
    }

    fn schema(&self) -> Result<Arc<Type>> {
        let mut fields = Vec::with_capacity(self.names.len());
        for (name, kind) in self.names.iter().zip(&self.kinds) {
            let (physical, logical) = match kind {
                Kind::Int64 => (Physical::INT64, None),
                Kind::Double => (Physical::DOUBLE, None),
                Kind::Utf8 => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
                Kind::Binary => (Physical::BYTE_ARRAY, None),
            };
            let field = Type::primitive_type_builder(name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map_err(|e| internal("a Parquet column is well formed", e.to_string()))?;
            fields.push(Arc::new(field));
        }
        let schema = Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .map_err(|e| internal("the Parquet schema is well formed", e.to_string()))?;
        Ok(Arc::new(schema))
    }

    /// Column `i`'s held cells as Parquet values and definition levels.
    fn chunk(&mut self, i: usize, cells: Vec<Cell>) -> Result<Chunk> {
        let kind = self.kinds[i];
        let mut levels = Vec::with_capacity(cells.len());
        let first_row = self.written_rows + 1;
        let name = self.names[i].clone();
        let declared = self.declared[i] != ColumnType::Unknown;
        let refuse = |row: usize, cell: &Cell| -> Error {
            UsageError::ParquetValue {
                column: crate::textfmt::capped_debug(&name),
                row: first_row + row as u64,
                found: cell.class(),
                kind: kind.name(),
                declared,
            }
            .into()
        };
        let chunk = match kind {
            Kind::Int64 => {
                let mut values = Vec::with_capacity(cells.len());
                for (row, cell) in cells.iter().enumerate() {
                    match cell {
                        Cell::Null => levels.push(0),
                        Cell::Integer(v) => {
                            levels.push(1);
                            values.push(*v);
                        }
                        other => return Err(refuse(row, other)),
                    }
                }
                Chunk::Int64(values, levels)
            }
            Kind::Double => {
                let mut values = Vec::with_capacity(cells.len());
                for (row, cell) in cells.iter().enumerate() {
                    match cell {
                        Cell::Null => levels.push(0),
                        Cell::Integer(v) => {
                            levels.push(1);
                            values.push(*v as f64);
                        }
                        Cell::Real(v) => {
                            levels.push(1);
                            values.push(*v);
                        }
                        other => return Err(refuse(row, other)),
                    }
                }
                Chunk::Double(values, levels)
            }
            Kind::Utf8 | Kind::Binary => {
                let mut values = Vec::with_capacity(cells.len());
                for (row, cell) in cells.into_iter().enumerate() {
                    let bytes = match (kind, cell) {
                        (_, Cell::Null) => {
                            levels.push(0);
                            continue;
                        }
                        (Kind::Utf8, Cell::Text(t)) => match String::from_utf8(t) {
                            Ok(s) => s.into_bytes(),
                            Err(e) => String::from_utf8_lossy(e.as_bytes())
                                .into_owned()
                                .into_bytes(),
                        },
                        (Kind::Utf8, Cell::Integer(v)) => v.to_string().into_bytes(),
                        (Kind::Utf8, Cell::Real(v)) => self.real_text(v)?.into_bytes(),
                        (Kind::Binary, Cell::Blob(b) | Cell::Text(b)) => b,
                        (_, other) => return Err(refuse(row, &other)),
                    };
                    levels.push(1);
                    values.push(ByteArray::from(bytes));
                }
                Chunk::Bytes(values, levels)
            }
        };
        Ok(chunk)
    }

    /// `value` as SQLite prints it (`1.0`, `1.0e+20`), as the text formats write it.
    fn real_text(&mut self, value: f64) -> Result<String> {
        if self.scratch.is_none() {
            let conn = rusqlite::Connection::open_in_memory().map_err(|e| Error::Db {
                query: "open in-memory",
                source: e,
            })?;
            self.scratch = Some(conn);
        }
        let Some(conn) = self.scratch.as_ref() else {
            return Err(internal("the scratch connection is open", String::new()));
        };
        RealText::new(conn)?.format(value)
    }

    /// The error the output gave (a closed pipe stops without one).
    fn io_failure(&self, e: io::Error) -> Result<Written> {
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Ok(Written::Closed);
        }
        Err(Error::io(self.shown.as_str(), e))
    }

    /// A failure of the Parquet writer: the output's own error when it gave one, else a bug.
    fn parquet_failure(&mut self, e: ParquetError) -> Result<Written> {
        let failed = self
            .file
            .as_mut()
            .and_then(|f| f.inner_mut().failed.take())
            .or_else(|| self.out.as_mut().and_then(|o| o.failed.take()));
        match failed {
            Some(io) => self.io_failure(io),
            None => match e {
                ParquetError::External(inner) => Err(Error::io(
                    self.shown.as_str(),
                    io::Error::other(inner.to_string()),
                )),
                other => Err(internal(
                    "the Parquet writer accepts its input",
                    other.to_string(),
                )),
            },
        }
    }
}

/// One column of a row group, ready to write.
enum Chunk {
    Int64(Vec<i64>, Vec<i16>),
    Double(Vec<f64>, Vec<i16>),
    Bytes(Vec<ByteArray>, Vec<i16>),
}

fn write_group<W: Write + Send>(
    file: &mut SerializedFileWriter<W>,
    chunks: Vec<Chunk>,
) -> std::result::Result<(), ParquetError> {
    let mut group = file.next_row_group()?;
    for chunk in chunks {
        let Some(mut column) = group.next_column()? else {
            return Err(ParquetError::General("fewer columns than values".into()));
        };
        match &chunk {
            Chunk::Int64(values, levels) => {
                column
                    .typed::<Int64Type>()
                    .write_batch(values, Some(levels), None)?;
            }
            Chunk::Double(values, levels) => {
                column
                    .typed::<DoubleType>()
                    .write_batch(values, Some(levels), None)?;
            }
            Chunk::Bytes(values, levels) => {
                column
                    .typed::<ByteArrayType>()
                    .write_batch(values, Some(levels), None)?;
            }
        }
        column.close()?;
    }
    group.close()?;
    Ok(())
}

fn internal(invariant: &'static str, detail: String) -> Error {
    Error::Internal { invariant, detail }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    fn reader_of(bytes: Vec<u8>) -> SerializedFileReader<std::fs::File> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&bytes).unwrap();
        SerializedFileReader::new(file).unwrap()
    }

    /// Every row of a written file, as the crate's own reader gives them.
    fn read_back(bytes: Vec<u8>) -> (Vec<String>, Vec<Vec<Field>>) {
        let reader = reader_of(bytes);
        let schema = reader.metadata().file_metadata().schema_descr();
        let kinds = schema
            .columns()
            .iter()
            .map(|c| format!("{}:{}", c.name(), c.physical_type()))
            .collect();
        let rows = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| {
                r.unwrap()
                    .get_column_iter()
                    .map(|(_, f)| f.clone())
                    .collect()
            })
            .collect();
        (kinds, rows)
    }

    fn write(
        cols: &[&str],
        declared: &[ColumnType],
        rows: &[Vec<ValueRef<'_>>],
    ) -> Result<Vec<u8>> {
        let mut w = ParquetWriter::new(Vec::new(), "test", &names(cols), declared)?;
        for row in rows {
            assert_eq!(w.row(row)?, Written::Yes);
        }
        let (written, out) = w.finish()?;
        assert_eq!(written, Written::Yes);
        Ok(out.unwrap())
    }

    #[test]
    fn declared_types_decide_and_nulls_are_nulls() {
        use ColumnType::*;
        let bytes = write(
            &["i", "r", "t", "b"],
            &[Integer, Real, Text, Blob],
            &[
                vec![
                    ValueRef::Integer(7),
                    ValueRef::Integer(2),
                    ValueRef::Text(b"x"),
                    ValueRef::Blob(&[0, 1]),
                ],
                vec![
                    ValueRef::Null,
                    ValueRef::Real(0.5),
                    ValueRef::Null,
                    ValueRef::Text(b"y"),
                ],
            ],
        )
        .unwrap();
        let (kinds, rows) = read_back(bytes);
        assert_eq!(
            kinds,
            ["i:INT64", "r:DOUBLE", "t:BYTE_ARRAY", "b:BYTE_ARRAY"]
        );
        assert_eq!(
            rows[0],
            [
                Field::Long(7),
                Field::Double(2.0),
                Field::Str("x".into()),
                Field::Bytes(vec![0, 1].into())
            ]
        );
        assert_eq!(
            rows[1],
            [
                Field::Null,
                Field::Double(0.5),
                Field::Null,
                Field::Bytes(b"y".to_vec().into())
            ]
        );
    }

    #[test]
    fn undeclared_columns_take_their_first_values_classes() {
        let u = ColumnType::Unknown;
        let bytes = write(
            &["ints", "mixed_numbers", "mixed", "nulls"],
            &[u, u, u, u],
            &[
                vec![
                    ValueRef::Integer(1),
                    ValueRef::Integer(1),
                    ValueRef::Integer(1),
                    ValueRef::Null,
                ],
                vec![
                    ValueRef::Integer(2),
                    ValueRef::Real(1.5),
                    ValueRef::Text(b"a"),
                    ValueRef::Null,
                ],
                vec![
                    ValueRef::Null,
                    ValueRef::Null,
                    ValueRef::Real(1e20),
                    ValueRef::Null,
                ],
            ],
        )
        .unwrap();
        let (kinds, rows) = read_back(bytes);
        assert_eq!(
            kinds,
            [
                "ints:INT64",
                "mixed_numbers:DOUBLE",
                "mixed:BYTE_ARRAY",
                "nulls:BYTE_ARRAY"
            ]
        );
        assert_eq!(rows[1][1], Field::Double(1.5));
        assert_eq!(rows[0][1], Field::Double(1.0));
        // Numbers in a utf8 column are written as SQLite prints them.
        assert_eq!(rows[0][2], Field::Str("1".into()));
        assert_eq!(rows[2][2], Field::Str("1.0e+20".into()));
    }

    #[test]
    fn a_value_that_does_not_fit_is_refused_naming_column_and_row() {
        let err = write(
            &["n"],
            &[ColumnType::Integer],
            &[vec![ValueRef::Integer(1)], vec![ValueRef::Text(b"two")]],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "query --format parquet: column \"n\" holds text at row 2, but its Parquet type is int64 \
             (from its declared type); cast it in the statement, e.g. `cast(\"n\" as text)`"
        );
    }

    #[test]
    fn later_row_groups_keep_the_first_groups_types() {
        let mut w = ParquetWriter::new(Vec::new(), "t", &names(&["v"]), &[]).unwrap();
        for i in 0..ROW_GROUP_ROWS {
            w.row(&[ValueRef::Integer(i as i64)]).unwrap();
        }
        let err = w
            .row(&[ValueRef::Real(0.5)])
            .and_then(|_| w.finish().map(|_| Written::Yes));
        let text = err.unwrap_err().to_string();
        assert!(
            text.contains(&format!("row {}", ROW_GROUP_ROWS + 1)),
            "{text}"
        );
        assert!(text.contains("from its first rows"), "{text}");
    }

    #[test]
    fn many_rows_make_several_row_groups_and_an_empty_result_a_schema() {
        let mut w = ParquetWriter::new(Vec::new(), "t", &names(&["v"]), &[]).unwrap();
        for i in 0..(2 * ROW_GROUP_ROWS + 5) {
            w.row(&[ValueRef::Integer(i as i64)]).unwrap();
        }
        let bytes = w.finish().unwrap().1.unwrap();
        let reader = reader_of(bytes);
        assert_eq!(reader.metadata().num_row_groups(), 3);
        assert_eq!(
            reader.metadata().file_metadata().num_rows(),
            (2 * ROW_GROUP_ROWS + 5) as i64
        );

        let empty = write(&["a", "b"], &[ColumnType::Integer], &[]).unwrap();
        let (kinds, rows) = read_back(empty);
        assert_eq!(kinds, ["a:INT64", "b:BYTE_ARRAY"]);
        assert!(rows.is_empty());
    }

    #[test]
    fn two_columns_of_one_name_are_refused() {
        let err = ParquetWriter::new(Vec::new(), "t", &names(&["a", "a"]), &[])
            .err()
            .unwrap();
        assert!(err.to_string().contains("two columns named \"a\""), "{err}");
    }
}
