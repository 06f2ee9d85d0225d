//! An import's added rows streamed to the server while the mirror import runs
//! (docs/postgres.md, "Writes"; docs/benchmarks.md, "The team store"): the importer hands each
//! row it stores in the mirror to a [`Sender`], which passes them in chunks over a bounded
//! channel to a second thread that writes them into the server's binary `COPY` of the same
//! table, inside the publish transaction. The server checks and stores rows while the mirror
//! stores the next ones, and nothing is read back from the mirror afterwards.
//!
//! Either side failing stops both: a failed `COPY` closes the channel, so the importer's next
//! row fails, and an importer that stops closes it, so the `COPY` is abandoned; the caller then
//! drops both transactions, and nothing stays anywhere.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use postgres::Transaction;
use rusqlite::types::Value;

use super::tables::Table;
use super::transfer::{Row, pg_copy};
use crate::catalog::CatalogKind;
use crate::catalog::import::AddedRows;
use crate::error::{Error, Result};

/// Rows per message: a channel operation per row would cost more than the row.
const CHUNK: usize = 1_000;
/// Chunks in flight: bounds the memory between the two threads (about 1,000 rows × 8 chunks).
const IN_FLIGHT: usize = 8;

/// What the importer sends to the server's thread.
pub(crate) enum Message {
    /// A `COPY` into this table starts.
    Begin(Table),
    /// Rows of the current `COPY`.
    Rows(Vec<Row>),
    /// The current `COPY` is complete.
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

/// The importer's end: an [`AddedRows`] that sends the rows to [`serve`].
pub(crate) struct Sender {
    channel: SyncSender<Message>,
    chunk: Vec<Row>,
}

/// A channel from an importer to [`serve`].
pub(crate) fn channel() -> (Sender, Receiver<Message>) {
    let (channel, receiver) = sync_channel(IN_FLIGHT);
    (
        Sender {
            channel,
            chunk: Vec::with_capacity(CHUNK),
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
        if self.chunk.is_empty() {
            return Ok(());
        }
        let rows = std::mem::replace(&mut self.chunk, Vec::with_capacity(CHUNK));
        self.send(Message::Rows(rows))
    }
}

impl AddedRows for Sender {
    fn begin(&mut self, kind: CatalogKind) -> Result<()> {
        self.send(Message::Begin(table_of(kind)))
    }

    fn row(&mut self, values: &mut Vec<Value>) -> Result<()> {
        self.chunk.push(std::mem::take(values));
        if self.chunk.len() == CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.flush()?;
        self.send(Message::End)
    }
}

/// The server's end, on its own thread: writes each table's rows into a binary `COPY` inside
/// `tx` until the importer hangs up; returns the rows written. A `COPY` the importer did not
/// end (it stopped on an error) is abandoned.
pub(crate) fn serve(tx: &mut Transaction<'_>, shown: &str, from: Receiver<Message>) -> Result<u64> {
    let mut total = 0;
    while let Ok(message) = from.recv() {
        // Rows and ends come only between a Begin and its End (the importer's order).
        let Message::Begin(table) = message else {
            continue;
        };
        let mut copy = pg_copy(tx, shown, table)?;
        loop {
            match from.recv() {
                Ok(Message::Rows(rows)) => {
                    for row in &rows {
                        copy.write(row)?;
                    }
                }
                Ok(Message::End) => {
                    total += copy.finish()?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
