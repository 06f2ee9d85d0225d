//! An import's added rows streamed to the server while the mirror import runs
//! (docs/postgres.md, "Writes"; docs/decisions.md D32, D34): the importer hands each row it
//! stores in the mirror to a [`Sender`], which encodes it at once in PostgreSQL's binary `COPY`
//! format into a buffer, and passes the buffer in chunks of [`CHUNK_BYTES`] over a bounded
//! channel to a second thread that writes them into the server's `COPY` of the same table,
//! inside the publish transaction. The server checks and stores rows while the mirror stores
//! the next ones, and nothing is read back from the mirror afterwards.
//!
//! The encoding is done on the importer's thread from the values it bound for the mirror (no
//! copy of the row and no allocation per row here), so the second thread only moves bytes to
//! the socket (D34: a row went through four allocations and a runtime round trip there before).
//!
//! Either side failing stops both: a failed `COPY` closes the channel, so the importer's next
//! chunk fails, and an importer that stops closes it, so the `COPY` is abandoned; the caller then
//! drops both transactions, and nothing stays anywhere.

use std::io::Write;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use postgres::Transaction;
use rusqlite::types::Value;

use super::tables::{self, Kind, Table};
use super::transfer::copy_sql;
use super::{Pg, team_error};
use crate::catalog::CatalogKind;
use crate::catalog::import::AddedRows;
use crate::error::{Error, Result, TeamErrorKind};

/// Bytes per message: large enough that a channel operation and a socket write are rare next
/// to the rows (a combo mapping is about 90 bytes encoded), small enough to overlap.
const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks in flight: bounds the memory between the two threads (about 2 MiB).
const IN_FLIGHT: usize = 8;

/// The binary `COPY` header: signature, flags, header extension length
/// (postgresql.org/docs/15/sql-copy.html, "Binary Format").
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The binary `COPY` trailer: a field count of -1.
const COPY_TRAILER: [u8; 2] = (-1i16).to_be_bytes();

/// What the importer sends to the server's thread.
pub(crate) enum Message {
    /// A `COPY` into this table starts.
    Begin(Table),
    /// Encoded rows of the current `COPY` (the first chunk starts with the header).
    Bytes(Vec<u8>),
    /// The current `COPY` is complete (its last chunk ended with the trailer).
    End,
}

/// The catalog table a kind's rows go into.
fn table_of(kind: CatalogKind) -> Table {
    match kind {
        CatalogKind::Concepts => Table::CatalogConcepts,
        CatalogKind::DraftTemplates
        | CatalogKind::EssayTemplates
        | CatalogKind::EvaluationTemplates => Table::CatalogTemplates,
        CatalogKind::LlmModels => Table::CatalogLlmModels,
        CatalogKind::ComboMappings => Table::CatalogComboMappings,
        CatalogKind::Replication => Table::CatalogReplication,
    }
}

/// Appends `value`, a value of a column of `kind`, in the binary format of the column's
/// PostgreSQL type (`transfer::pg_type`: bigint, text, bytea, float8); false when the value is
/// not of that kind (a seed is never streamed: it is not a catalog column).
fn encode(buf: &mut Vec<u8>, kind: Kind, value: &Value) -> bool {
    let bytes = |buf: &mut Vec<u8>, b: &[u8]| match i32::try_from(b.len()) {
        Ok(len) => {
            buf.extend_from_slice(&len.to_be_bytes());
            buf.extend_from_slice(b);
            true
        }
        Err(_) => false,
    };
    match (value, kind) {
        (Value::Null, Kind::OptInt | Kind::OptText | Kind::OptBytes | Kind::OptReal) => {
            buf.extend_from_slice(&(-1i32).to_be_bytes());
            true
        }
        (Value::Integer(i), Kind::Int | Kind::OptInt) => {
            buf.extend_from_slice(&8i32.to_be_bytes());
            buf.extend_from_slice(&i.to_be_bytes());
            true
        }
        (Value::Real(r), Kind::OptReal) => {
            buf.extend_from_slice(&8i32.to_be_bytes());
            buf.extend_from_slice(&r.to_bits().to_be_bytes());
            true
        }
        (Value::Text(t), Kind::Text | Kind::OptText) => bytes(buf, t.as_bytes()),
        (Value::Blob(b), Kind::Bytes | Kind::OptBytes) => bytes(buf, b),
        _ => false,
    }
}

/// The importer's end: an [`AddedRows`] that encodes the rows and sends them to [`serve`].
pub(crate) struct Sender {
    channel: SyncSender<Message>,
    /// The store as shown, for the error of a value of the wrong kind.
    shown: String,
    /// The table of the current `COPY`.
    table: Option<Table>,
    buf: Vec<u8>,
}

/// A channel from an importer to [`serve`]; `shown` names the store in errors.
pub(crate) fn channel(shown: &str) -> (Sender, Receiver<Message>) {
    let (channel, receiver) = sync_channel(IN_FLIGHT);
    (
        Sender {
            channel,
            shown: shown.to_string(),
            table: None,
            buf: Vec::with_capacity(CHUNK_BYTES + 4096),
        },
        receiver,
    )
}

impl Sender {
    fn send(&self, message: Message) -> Result<()> {
        // The receiver is gone only when the server's thread stopped on an error: the caller
        // reports that error, not this one.
        self.channel.send(message).map_err(|_| Error::Interrupted)
    }

    fn flush(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES + 4096));
        self.send(Message::Bytes(full))
    }
}

impl AddedRows for Sender {
    fn begin(&mut self, kind: CatalogKind) -> Result<()> {
        let table = table_of(kind);
        self.table = Some(table);
        self.send(Message::Begin(table))?;
        self.buf.clear();
        self.buf.extend_from_slice(COPY_HEADER);
        Ok(())
    }

    fn row(&mut self, values: &[Value]) -> Result<()> {
        // Rows come only between a begin and its end (the importer's order).
        let Some(table) = self.table else {
            return Err(Error::internal(
                "an added row comes after its file began",
                "",
            ));
        };
        let columns = table.columns();
        if values.len() != columns.len() {
            return Err(Error::internal(
                "an added row has its table's columns",
                format!(
                    "{} has {}, the row {}",
                    table.name(),
                    columns.len(),
                    values.len()
                ),
            ));
        }
        // A table has a handful of columns: the count fits.
        self.buf
            .extend_from_slice(&(columns.len() as i16).to_be_bytes());
        for ((name, kind), value) in columns.iter().zip(values.iter()) {
            if !encode(&mut self.buf, *kind, value) {
                return Err(tables::wrong_kind(&self.shown, table, name, value));
            }
        }
        if self.buf.len() >= CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.buf.extend_from_slice(&COPY_TRAILER);
        self.flush()?;
        self.table = None;
        self.send(Message::End)
    }
}

/// The server's end, on its own thread: writes each table's encoded rows into a binary `COPY`
/// inside `tx` until the importer hangs up; returns the rows the server stored. A `COPY` the
/// importer did not end (it stopped on an error) is abandoned.
pub(crate) fn serve(tx: &mut Transaction<'_>, shown: &str, from: Receiver<Message>) -> Result<u64> {
    let mut total = 0;
    while let Ok(message) = from.recv() {
        // Bytes and ends come only between a Begin and its End (the importer's order).
        let Message::Begin(table) = message else {
            continue;
        };
        let mut copy = tx.copy_in(copy_sql(table)).pg(shown, "team_copy")?;
        loop {
            match from.recv() {
                Ok(Message::Bytes(bytes)) => {
                    if let Err(e) = copy.write_all(&bytes) {
                        return Err(copy_error(shown, e));
                    }
                }
                Ok(Message::End) => {
                    total += copy.finish().pg(shown, "team_copy")?;
                    break;
                }
                // The importer stopped mid-file: dropping the writer abandons the COPY, and
                // the caller rolls the transaction back.
                Ok(Message::Begin(_)) | Err(_) => return Ok(total),
            }
        }
    }
    Ok(total)
}

/// The error of a failed write into a `COPY`: the server's, when the connection carries one.
fn copy_error(shown: &str, e: std::io::Error) -> Error {
    if !e
        .get_ref()
        .is_some_and(|inner| inner.is::<postgres::Error>())
    {
        return Error::io(shown, e);
    }
    match e
        .into_inner()
        .map(|inner| inner.downcast::<postgres::Error>())
    {
        Some(Ok(source)) => team_error(
            shown,
            TeamErrorKind::Query {
                query: "team_copy",
                source: *source,
            },
        ),
        // Checked above: the inner error is the client's.
        _ => Error::internal("a COPY's write error is the client's", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values go in PostgreSQL's binary format of their column's type (a length, -1 for
    /// null, then the bytes; bigint and float8 big-endian); a value of another kind is refused.
    #[test]
    fn values_are_encoded_as_their_column_type_and_other_kinds_are_refused() {
        let mut buf = Vec::new();
        assert!(encode(&mut buf, Kind::Text, &Value::Text("ab".into())));
        assert!(encode(&mut buf, Kind::OptText, &Value::Null));
        assert!(encode(&mut buf, Kind::Int, &Value::Integer(-2)));
        assert!(encode(&mut buf, Kind::OptReal, &Value::Real(1.5)));
        assert!(encode(&mut buf, Kind::Bytes, &Value::Blob(vec![7])));
        let mut want = vec![0, 0, 0, 2, b'a', b'b', 255, 255, 255, 255, 0, 0, 0, 8];
        want.extend_from_slice(&(-2i64).to_be_bytes());
        want.extend_from_slice(&[0, 0, 0, 8]);
        want.extend_from_slice(&1.5f64.to_bits().to_be_bytes());
        want.extend_from_slice(&[0, 0, 0, 1, 7]);
        assert_eq!(buf, want);
        for (kind, value) in [
            (Kind::Text, Value::Null),
            (Kind::Text, Value::Integer(1)),
            (Kind::Int, Value::Text("1".into())),
            (Kind::Seed, Value::Text("1".into())),
        ] {
            assert!(!encode(&mut Vec::new(), kind, &value), "{kind:?} {value:?}");
        }
    }

    /// A file's rows are one binary COPY stream: the header, each row's field count and
    /// values, the trailer; a row of the wrong kind is refused naming its column.
    #[test]
    fn a_file_is_one_copy_stream_and_a_wrong_value_is_refused() {
        let (mut sender, receiver) = channel("postgres://db");
        sender.begin(CatalogKind::Replication).expect("begins");
        let row = [
            Value::Text("draft".into()),
            Value::Text("2".into()),
            Value::Null,
            Value::Integer(1),
            Value::Integer(2),
        ];
        sender.row(&row).expect("encodes");
        sender.end().expect("ends");
        let messages: Vec<Message> = receiver.try_iter().collect();
        let [
            Message::Begin(Table::CatalogReplication),
            Message::Bytes(bytes),
            Message::End,
        ] = &messages[..]
        else {
            panic!("begin, one chunk, end");
        };
        assert!(bytes.starts_with(COPY_HEADER) && bytes.ends_with(&COPY_TRAILER));
        assert_eq!(bytes[COPY_HEADER.len()..COPY_HEADER.len() + 2], [0, 5]);
        let (mut sender, _receiver) = channel("postgres://db");
        sender.begin(CatalogKind::Replication).expect("begins");
        let mut bad = row.to_vec();
        bad[3] = Value::Text("1".into());
        let err = sender.row(&bad).expect_err("a text batch id");
        assert!(err.to_string().contains("batch_id"), "{err}");
    }

    /// The importer's insert statement of every catalog lists the columns the server's `COPY`
    /// takes, in the same order: the rows it stores go to the server as they are.
    #[test]
    fn every_catalog_insert_lists_the_copied_columns_in_order() {
        for kind in CatalogKind::ALL {
            let table = table_of(kind);
            let names: Vec<&str> = table.columns().iter().map(|(n, _)| *n).collect();
            let compact: String = kind
                .insert_sql()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            assert!(
                compact.contains(&format!("({})", names.join(","))),
                "{kind:?}: {compact}"
            );
        }
    }
}
