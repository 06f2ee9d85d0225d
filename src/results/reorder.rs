//! Rows produced in one order put back in another (docs/decisions.md D35): `scores` renders a
//! cohort's rows in the ledger's key order, which reads the ledger's pages in order, and
//! writes them in membership order. Each row goes, with its position, to one of a bounded
//! number of unnamed scratch files by position range (a distribution sort); each file is then
//! read back whole, its rows sorted by position in memory and written out. Memory holds one
//! file's rows (about 65,536 rows); the scratch files vanish with the process.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Rows per scratch file at least.
const PER_FILE: u64 = 1 << 16;
/// Scratch files at most (more rows make each file hold more).
const MAX_FILES: u64 = 256;

/// Rows by position, spread over scratch files.
pub struct Reorder {
    dir: PathBuf,
    per: u64,
    files: Vec<Option<BufWriter<File>>>,
}

impl Reorder {
    /// A reorder of positions `0..rows` whose scratch files are created (unnamed) in `dir`.
    pub fn new(dir: &Path, rows: u64) -> Reorder {
        let per = PER_FILE.max(rows.div_ceil(MAX_FILES));
        let n = usize::try_from(rows.div_ceil(per).max(1)).unwrap_or(1);
        Reorder {
            dir: dir.to_path_buf(),
            per,
            files: (0..n).map(|_| None).collect(),
        }
    }

    /// Adds the bytes of the row at `position`.
    pub fn push(&mut self, position: u64, bytes: &[u8]) -> std::io::Result<()> {
        let at = usize::try_from(position / self.per).unwrap_or(usize::MAX);
        if at >= self.files.len() {
            self.files.resize_with(at + 1, || None);
        }
        let slot = &mut self.files[at];
        if slot.is_none() {
            *slot = Some(BufWriter::with_capacity(
                1 << 16,
                tempfile::tempfile_in(&self.dir)?,
            ));
        }
        let Some(out) = slot.as_mut() else {
            return Ok(());
        };
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        out.write_all(&position.to_le_bytes())?;
        out.write_all(&len.to_le_bytes())?;
        out.write_all(bytes)
    }

    /// Forgets every row (their scratch files are closed, and so removed).
    pub fn clear(&mut self) {
        for slot in &mut self.files {
            *slot = None;
        }
    }

    /// Writes every row's bytes to `out` in position order.
    pub fn write_in_order(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut index: Vec<(u64, usize, usize)> = Vec::new();
        for slot in &mut self.files {
            let Some(w) = slot.take() else {
                continue;
            };
            let mut file = w
                .into_inner()
                .map_err(std::io::IntoInnerError::into_error)?;
            file.seek(SeekFrom::Start(0))?;
            buf.clear();
            file.read_to_end(&mut buf)?;
            drop(file);
            index.clear();
            let mut at = 0;
            while let Some(head) = buf.get(at..at + 16) {
                let mut position = [0u8; 8];
                let mut len = [0u8; 8];
                position.copy_from_slice(&head[..8]);
                len.copy_from_slice(&head[8..]);
                let len = usize::try_from(u64::from_le_bytes(len)).unwrap_or(usize::MAX);
                let start = at + 16;
                let end = start.saturating_add(len).min(buf.len());
                index.push((u64::from_le_bytes(position), start, end));
                at = end;
            }
            index.sort_unstable_by_key(|(position, _, _)| *position);
            for (_, start, end) in &index {
                out.write_all(&buf[*start..*end])?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_in_position_order_across_files() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let n = 3 * PER_FILE + 17;
        let mut r = Reorder::new(dir.path(), n);
        // A fixed permutation of 0..n (multiplying by a unit modulo n).
        let step = 7919u64;
        for i in 0..n {
            let p = (i * step) % n;
            r.push(p, format!("{p}\n").as_bytes()).expect("push");
        }
        let mut out = Vec::new();
        r.write_in_order(&mut out).expect("write");
        let expected: String = (0..n).map(|p| format!("{p}\n")).collect();
        assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
        // Nothing is left to write, and a cleared reorder writes nothing.
        let mut again = Vec::new();
        r.write_in_order(&mut again).expect("write");
        assert!(again.is_empty());
        r.push(1, b"x").expect("push");
        r.clear();
        r.write_in_order(&mut again).expect("write");
        assert!(again.is_empty());
    }
}
