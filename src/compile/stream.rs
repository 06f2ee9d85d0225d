//! Streaming the product query's rows to a writer on another thread.
//!
//! On a 2-core machine the two halves of compile cost about the same: SQLite stepping and
//! fetching values, and formatting and writing bytes. A worker thread owns the (in-memory)
//! connection and fills fixed-size batches of cells; the calling thread formats them. Batches
//! are recycled through a second channel, so memory stays bounded by the channel depth.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use rusqlite::Row;
use rusqlite::types::ValueRef;

use crate::error::{Error, Result};

/// One cell of a row, borrowed from a batch or a live SQLite row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Text (or blob) bytes.
    Text(&'a [u8]),
    /// An integer.
    Int(i64),
    /// NULL.
    Null,
}

impl<'a> Cell<'a> {
    /// The cell of column `i` of a live row.
    pub fn of(row: &'a Row<'_>, i: usize) -> Result<Cell<'a>> {
        let value = row.get_ref(i).map_err(|source| Error::Db {
            query: "product query",
            source,
        })?;
        Ok(match value {
            ValueRef::Text(t) | ValueRef::Blob(t) => Cell::Text(t),
            ValueRef::Integer(n) => Cell::Int(n),
            ValueRef::Null => Cell::Null,
            // Levels are strings and integers (D5); nothing produces a real.
            ValueRef::Real(_) => Cell::Null,
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    Text { start: u32, end: u32 },
    Int(i64),
    Null,
}

/// A batch of rows: cell slots plus the bytes they point into.
#[derive(Debug, Default)]
pub struct Batch {
    data: Vec<u8>,
    slots: Vec<Slot>,
    width: usize,
}

/// Rows per batch; about 1 MiB of output for typical rows.
const BATCH_ROWS: usize = 8192;
/// Batches in flight between the threads.
const DEPTH: usize = 4;

impl Batch {
    fn clear(&mut self, width: usize) {
        self.data.clear();
        self.slots.clear();
        self.width = width;
    }

    fn push_row(&mut self, row: &Row<'_>) -> Result<()> {
        for i in 0..self.width {
            let slot = match Cell::of(row, i)? {
                Cell::Text(t) => {
                    let start = self.data.len() as u32;
                    self.data.extend_from_slice(t);
                    Slot::Text {
                        start,
                        end: self.data.len() as u32,
                    }
                }
                Cell::Int(n) => Slot::Int(n),
                Cell::Null => Slot::Null,
            };
            self.slots.push(slot);
        }
        Ok(())
    }

    fn rows(&self) -> usize {
        self.slots
            .len()
            .checked_div(self.width)
            .unwrap_or(self.slots.len())
    }

    fn full(&self) -> bool {
        self.rows() >= BATCH_ROWS || self.data.len() >= (1 << 20)
    }

    /// Calls `f` with the cells of every row.
    fn for_each_row(
        &self,
        zero_width_rows: usize,
        mut f: impl FnMut(&[Cell<'_>]) -> Result<bool>,
    ) -> Result<bool> {
        let mut cells: Vec<Cell<'_>> = Vec::with_capacity(self.width);
        let rows = if self.width == 0 {
            zero_width_rows
        } else {
            self.rows()
        };
        for r in 0..rows {
            cells.clear();
            for slot in &self.slots[r * self.width..(r + 1) * self.width] {
                cells.push(match *slot {
                    Slot::Text { start, end } => {
                        Cell::Text(&self.data[start as usize..end as usize])
                    }
                    Slot::Int(n) => Cell::Int(n),
                    Slot::Null => Cell::Null,
                });
            }
            if !f(&cells)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A batch on its way to the writer, with its row count (rows may have no cells).
struct Full {
    batch: Batch,
    rows: usize,
}

/// Runs `produce` on a worker thread, where it prepares and steps a statement and hands each
/// row to the [`RowSender`]; calls `consume` on this thread with the cells of each row, in
/// order. `consume` returns false to stop early (the worker then stops too). Returns the number
/// of rows consumed.
pub fn pipeline<P>(
    width: usize,
    produce: P,
    mut consume: impl FnMut(&[Cell<'_>]) -> Result<bool>,
) -> Result<u64>
where
    P: FnOnce(&mut RowSender) -> Result<()> + Send,
{
    let (full_tx, full_rx) = sync_channel::<Full>(DEPTH);
    let (empty_tx, empty_rx) = sync_channel::<Batch>(DEPTH + 2);
    for _ in 0..DEPTH + 2 {
        empty_tx
            .send(Batch::default())
            .expect("the channel has room for every batch");
    }
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            let mut sender = RowSender {
                width,
                full: full_tx,
                empty: empty_rx,
                current: None,
                rows: 0,
                stopped: false,
            };
            let result = produce(&mut sender);
            sender.flush();
            result
        });
        let mut consumed = 0u64;
        let mut outcome: Result<()> = Ok(());
        while let Ok(Full { batch, rows }) = full_rx.recv() {
            let keep_going = batch.for_each_row(rows, |cells| {
                consumed += 1;
                consume(cells)
            });
            match keep_going {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
            // The worker may have finished and dropped its receiver; that is fine.
            let _ = empty_tx.send(batch);
        }
        drop(full_rx);
        drop(empty_tx);
        let produced = worker.join().unwrap_or_else(|_| {
            Err(Error::internal(
                "the compile worker thread does not panic",
                "it panicked",
            ))
        });
        outcome?;
        produced?;
        Ok(consumed)
    })
}

/// The worker's side of [`pipeline`].
pub struct RowSender {
    width: usize,
    full: SyncSender<Full>,
    empty: Receiver<Batch>,
    current: Option<Batch>,
    rows: usize,
    stopped: bool,
}

impl RowSender {
    /// Queues one row. Returns false when the consumer has stopped (the producer should stop).
    pub fn send(&mut self, row: &Row<'_>) -> Result<bool> {
        if self.stopped {
            return Ok(false);
        }
        if self.current.is_none() {
            match self.empty.recv() {
                Ok(mut batch) => {
                    batch.clear(self.width);
                    self.current = Some(batch);
                    self.rows = 0;
                }
                Err(_) => {
                    self.stopped = true;
                    return Ok(false);
                }
            }
        }
        let batch = self.current.as_mut().expect("a batch was just taken");
        batch.push_row(row)?;
        self.rows += 1;
        if batch.full() || (self.width == 0 && self.rows >= BATCH_ROWS) {
            self.flush();
        }
        Ok(!self.stopped)
    }

    fn flush(&mut self) {
        if let Some(batch) = self.current.take() {
            if self
                .full
                .send(Full {
                    batch,
                    rows: self.rows,
                })
                .is_err()
            {
                self.stopped = true;
            }
            self.rows = 0;
        }
    }
}
