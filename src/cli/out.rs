//! Standard output for reports, where a closed pipe ends the output but never the command.
//!
//! The exit status is decided by the work, not by whether printing it succeeded
//! (docs/reliability.md, "Pipes, special files and links"): `cohortdb verify X | head -0`
//! still exits 1 on a difference, and a command that fails after its reader went away still
//! exits 2. So a write to a closed pipe (`EPIPE`; Rust ignores `SIGPIPE`) is swallowed here,
//! everything after it is discarded, and the command runs on to its real outcome. Any other
//! write error (a full disk behind `> file`) is still an error.

use std::io::{self, StdoutLock, Write};

/// The process's standard output, locked, with a closed pipe treated as "nobody reads".
pub struct Stdout {
    inner: StdoutLock<'static>,
    closed: bool,
}

/// Locks standard output for a command's report.
pub fn stdout() -> Stdout {
    Stdout {
        inner: io::stdout().lock(),
        closed: false,
    }
}

impl Stdout {
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

impl Write for Stdout {
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
