//! Rows produced in one order put back in another (docs/decisions.md D35): `scores` renders a
//! cohort's rows in the ledger's key order, which reads the ledger's pages in order, and
//! writes them in membership order. Each row's cells go, with its position, to one of a
//! bounded number of unnamed scratch files by position range (a distribution sort); each file
//! is then read back whole, its rows sorted by position in memory and handed out as cells
//! (D37: the caller writes the CSV record and gives the same cells to the summaries). Memory
//! holds one file's rows (about 65,536 rows); the scratch files vanish with the process.

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

    /// Adds the cells of the row at `position`.
    pub fn push(&mut self, position: u64, cells: &[&str]) -> std::io::Result<()> {
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
        // A row: its position, its number of cells, each cell's length, then their bytes.
        out.write_all(&position.to_le_bytes())?;
        out.write_all(&(cells.len() as u64).to_le_bytes())?;
        for cell in cells {
            out.write_all(&(cell.len() as u64).to_le_bytes())?;
        }
        for cell in cells {
            out.write_all(cell.as_bytes())?;
        }
        Ok(())
    }

    /// Forgets every row (their scratch files are closed, and so removed).
    pub fn clear(&mut self) {
        for slot in &mut self.files {
            *slot = None;
        }
    }

    /// Hands every row's cells to `f` in position order.
    pub fn write_in_order(
        &mut self,
        mut f: impl FnMut(&[&str]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut buf = Vec::new();
        // Each row: its position, and the range of its cell lengths and of its bytes in `buf`.
        let mut index: Vec<(u64, usize, usize, usize)> = Vec::new();
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
            while let (Some(position), Some(count)) = (word(&buf, at), word(&buf, at + 8)) {
                let torn = || std::io::Error::other("a scratch file ends inside a row");
                let lengths = at + 16;
                let start = count
                    .checked_mul(8)
                    .and_then(|n| n.checked_add(lengths))
                    .ok_or_else(torn)?;
                let bytes = (0..count)
                    .try_fold(start, |end, k| {
                        word(&buf, lengths + 8 * k).and_then(|len| end.checked_add(len))
                    })
                    .filter(|end| *end <= buf.len())
                    .ok_or_else(torn)?;
                index.push((position as u64, lengths, count, bytes));
                at = bytes;
            }
            index.sort_unstable_by_key(|(position, ..)| *position);
            let mut cells: Vec<&str> = Vec::new();
            for &(_, lengths, count, _) in &index {
                cells.clear();
                let mut start = lengths + 8 * count;
                for k in 0..count {
                    let end = start + word(&buf, lengths + 8 * k).unwrap_or(0);
                    let cell = buf
                        .get(start..end)
                        .ok_or_else(|| std::io::Error::other("a scratch file ends inside a row"))?;
                    cells.push(std::str::from_utf8(cell).map_err(std::io::Error::other)?);
                    start = end;
                }
                f(&cells)?;
            }
        }
        Ok(())
    }
}

/// The little-endian word at `at` in `buf`, if it is all there.
fn word(buf: &[u8], at: usize) -> Option<usize> {
    let bytes = buf.get(at..at.checked_add(8)?)?;
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    usize::try_from(u64::from_le_bytes(word)).ok()
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
            let text = p.to_string();
            r.push(p, &[&text, "", "é,\"\n"][..(p % 4) as usize])
                .expect("push");
        }
        let mut out: Vec<Vec<String>> = Vec::new();
        r.write_in_order(|cells| {
            out.push(cells.iter().map(|c| c.to_string()).collect());
            Ok(())
        })
        .expect("write");
        let expected: Vec<Vec<String>> = (0..n)
            .map(|p| {
                let text = p.to_string();
                [text.as_str(), "", "é,\"\n"][..(p % 4) as usize]
                    .iter()
                    .map(|c| c.to_string())
                    .collect()
            })
            .collect();
        assert_eq!(out, expected);
        // Nothing is left to write, and a cleared reorder writes nothing.
        let mut again = 0;
        r.write_in_order(|_| {
            again += 1;
            Ok(())
        })
        .expect("write");
        assert_eq!(again, 0);
        r.push(1, &["x"]).expect("push");
        r.clear();
        r.write_in_order(|_| {
            again += 1;
            Ok(())
        })
        .expect("write");
        assert_eq!(again, 0);
    }
}
