//! Standard output for reports, where a closed pipe ends the output but never the command.
//!
//! The exit status is decided by the work, not by whether printing it succeeded
//! (docs/reliability.md, "Pipes, special files and links"): `cohortdb verify X | head -0`
//! still exits 1 on a difference, and a command that fails after its reader went away still
//! exits 2. So a write to a closed pipe (`EPIPE`; Rust ignores `SIGPIPE`) is swallowed here,
//! everything after it is discarded, and the command runs on to its real outcome. Any other
//! write error (a full disk behind `> file`) is still an error.

use std::io::{self, StdoutLock, Write};

/// A writer where a closed pipe means "nobody reads": the first `BrokenPipe` is swallowed and
/// everything after it discarded; other errors pass through.
pub struct PipeOut<W> {
    inner: W,
    closed: bool,
}

/// The process's standard output, locked, for a command's report.
pub type Stdout = PipeOut<StdoutLock<'static>>;

/// Locks standard output for a command's report.
pub fn stdout() -> Stdout {
    PipeOut::new(io::stdout().lock())
}

impl<W: Write> PipeOut<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        PipeOut {
            inner,
            closed: false,
        }
    }

    fn swallow_closed<T>(&mut self, result: io::Result<T>, discarded: T) -> io::Result<T> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(discarded)
            }
            other => other,
        }
    }
}

impl<W: Write> Write for PipeOut<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let result = self.inner.write(buf);
        self.swallow_closed(result, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.swallow_closed(result, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `room` bytes, then fails every write with `kind`.
    struct Failing {
        room: usize,
        kind: io::ErrorKind,
        got: Vec<u8>,
        calls_after_full: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.got.len() >= self.room {
                self.calls_after_full += 1;
                return Err(io::Error::from(self.kind));
            }
            let n = buf.len().min(self.room - self.got.len());
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn failing(kind: io::ErrorKind) -> PipeOut<Failing> {
        PipeOut::new(Failing {
            room: 4,
            kind,
            got: Vec::new(),
            calls_after_full: 0,
        })
    }

    #[test]
    fn a_closed_pipe_ends_the_output_not_the_command() {
        let mut out = failing(io::ErrorKind::BrokenPipe);
        for _ in 0..3 {
            writeln!(out, "line").unwrap();
        }
        out.flush().unwrap();
        assert_eq!(out.inner.got, b"line");
        // After the first EPIPE nothing more is sent to the closed pipe.
        assert_eq!(out.inner.calls_after_full, 1);
    }

    #[test]
    fn other_write_errors_still_fail() {
        let mut out = failing(io::ErrorKind::StorageFull);
        let err = writeln!(out, "more than four bytes").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    }
}
