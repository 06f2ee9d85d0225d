//! Bytes written to a file and, at the same time, handed to another thread that reads them
//! as a stream (docs/decisions.md D35): `scores` computes the summaries from
//! `aggregated_scores.csv` on a second thread while the file is being written, instead of
//! reading the file back afterwards. The bytes travel in chunks of about 1 MiB through a
//! bounded channel (a few chunks in flight); a reader that stops early only stops the copies.

use std::io::{BufRead, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender};

/// Bytes per chunk sent.
const CHUNK: usize = 1 << 20;
/// Chunks in flight at most.
pub const IN_FLIGHT: usize = 8;

/// A writer that also sends what it writes (when it has a sender).
pub struct Tee<W: Write> {
    out: W,
    to: Option<SyncSender<Vec<u8>>>,
    buf: Vec<u8>,
}

impl<W: Write> Tee<W> {
    /// Writes to `out`, and sends a copy to `to` when given.
    pub fn new(out: W, to: Option<SyncSender<Vec<u8>>>) -> Tee<W> {
        Tee {
            out,
            to,
            buf: Vec::new(),
        }
    }

    fn send(&mut self) {
        if let Some(to) = &self.to {
            let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
            if to.send(chunk).is_err() {
                // The reader is gone: nothing more to copy.
                self.to = None;
            }
        }
    }

    /// Flushes the writer and sends the rest; the reader then sees the end of the stream.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()?;
        if !self.buf.is_empty() {
            self.send();
        }
        Ok(())
    }
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(bytes)?;
        if self.to.is_some() {
            self.buf.extend_from_slice(&bytes[..n]);
            if self.buf.len() >= CHUNK {
                self.send();
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The receiving end as a buffered reader: the end of the stream when the sender is gone.
pub struct Chunks {
    rx: Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Chunks {
    /// Reads what `rx` receives.
    pub fn new(rx: Receiver<Vec<u8>>) -> Chunks {
        Chunks {
            rx,
            chunk: Vec::new(),
            at: 0,
        }
    }
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Chunks {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.at >= self.chunk.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.chunk[self.at..])
    }

    fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.chunk.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_sees_exactly_what_was_written_and_then_the_end() {
        let (tx, rx) = std::sync::mpsc::sync_channel(IN_FLIGHT);
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            Chunks::new(rx).read_to_end(&mut got).map(|_| got)
        });
        let mut file = Vec::new();
        let mut tee = Tee::new(&mut file, Some(tx));
        let expected: Vec<u8> = (0..3 * CHUNK + 5).map(|i| (i % 251) as u8).collect();
        for part in expected.chunks(1000) {
            tee.write_all(part).expect("write");
        }
        tee.finish().expect("finish");
        let got = reader.join().expect("reader").expect("read");
        assert_eq!(got, expected);
        assert_eq!(file, expected);
    }

    #[test]
    fn a_reader_that_stops_early_does_not_stop_the_writer() {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        drop(rx);
        let mut file = Vec::new();
        let mut tee = Tee::new(&mut file, Some(tx));
        for _ in 0..4 {
            tee.write_all(&vec![7u8; CHUNK]).expect("write");
        }
        tee.finish().expect("finish");
        assert_eq!(file.len(), 4 * CHUNK);
    }
}
