//! Opening input files without trusting what kind of file they are.
//!
//! Every file cohortdb reads — catalog CSVs, template bodies and concept descriptions, spec
//! files and their includes, JSON and CSV catalogs for `compile`, legacy lists, files already
//! exported — goes through [`open_regular`] or [`read_regular`]. A FIFO, socket, device or
//! directory where a regular file is expected is refused at once with an error naming what it
//! is ("is a FIFO, not a regular file"), instead of blocking forever in `open(2)` (a FIFO
//! without a writer) or reading without end (`/dev/zero`). See docs/reliability.md, "Pipes,
//! special files and links".
//!
//! The refusal is an [`std::io::Error`] of kind `InvalidInput`, so call sites keep their
//! existing error mapping (`open_regular(p).at(p)?` reads `p: is a FIFO, not a regular file`)
//! and their `NotFound` handling.

use std::fs::{File, FileType, Metadata};
use std::io::{self, Read, Write};
use std::path::Path;

/// Whether a file argument is `-`: standard input where a file is read, standard output where
/// one is written (docs/cli.md, "Streams"). Only the bare `-` is: a file named `-` is `./-`.
pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Copies standard input into a private temporary file, for a reader that needs a file (to
/// read it twice, or to know its size). The file is removed when the handle is dropped.
pub fn spool_stdin() -> io::Result<tempfile::NamedTempFile> {
    let mut spool = tempfile::NamedTempFile::new()?;
    io::copy(&mut io::stdin().lock(), spool.as_file_mut())?;
    spool.as_file_mut().flush()?;
    Ok(spool)
}

/// What kind of file a (non-regular) file type is, for messages: `a FIFO`, `a directory`, …
pub fn kind_name(file_type: FileType) -> &'static str {
    if file_type.is_dir() {
        return "a directory";
    }
    if file_type.is_symlink() {
        return "a symlink";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
    }
    if file_type.is_file() {
        return "a regular file";
    }
    "a special file"
}

/// The error for a path that is not a regular file: `is a FIFO, not a regular file`.
pub fn not_regular(file_type: FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("is {}, not a regular file", kind_name(file_type)),
    )
}

/// Opens `path` for reading, following symlinks, only when it is a regular file.
///
/// On unix the file is opened with `O_NONBLOCK | O_NOCTTY`, so opening a FIFO that no process
/// writes returns at once (and a terminal never becomes the controlling one); the opened file's
/// own metadata is then checked — no window between the check and the read — and
/// `O_NONBLOCK` is cleared again before the file is handed out.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = match open_nonblocking(path) {
        Ok(file) => file,
        // A socket cannot be opened at all (ENXIO); say what it is instead.
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(match std::fs::metadata(path) {
                Ok(meta) if !meta.is_file() => not_regular(meta.file_type()),
                _ => e,
            });
        }
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    clear_nonblocking(&file)?;
    Ok(file)
}

/// [`open_regular`] with the metadata of the opened file (its size, its link count).
pub fn open_regular_with_metadata(path: &Path) -> io::Result<(File, Metadata)> {
    let file = open_regular(path)?;
    let meta = file.metadata()?;
    Ok((file, meta))
}

/// Reads a whole regular file, like [`std::fs::read`], refusing anything else.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let (file, meta) = open_regular_with_metadata(path)?;
    read_all(file, &meta)
}

/// Reads an opened file to its end, with the buffer sized from its metadata.
pub fn read_all(mut file: File, meta: &Metadata) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// Clears `O_NONBLOCK` on an opened file (reads of a regular file then behave as usual on
/// every unix).
#[cfg(unix)]
pub fn clear_nonblocking(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: `fd` is a valid open descriptor owned by `file` for the duration of both calls;
    // F_GETFL and F_SETFL read and set its status flags only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Clears `O_NONBLOCK` on an opened file (nothing to do off unix).
#[cfg(not(unix))]
pub fn clear_nonblocking(_file: &File) -> io::Result<()> {
    Ok(())
}

/// Where `compile --out` may write: what is at the path now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputTarget {
    /// Nothing, or a regular file: write a new file and rename it into place.
    Replace,
    /// A character device or FIFO (itself, or behind a symlink such as `/dev/stdout`): write
    /// into it directly; it is never replaced.
    Stream,
}

/// Classifies an output path (see [`OutputTarget`]). A symlink to anything but a character
/// device or FIFO, a directory, a socket or a block device is refused with an error saying
/// what the path is: replacing it would destroy it, writing through it would not be atomic.
pub fn output_target(path: &Path) -> io::Result<OutputTarget> {
    let link = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OutputTarget::Replace),
        Err(e) => return Err(e),
    };
    if link.is_file() {
        return Ok(OutputTarget::Replace);
    }
    let is_stream = |meta: &Metadata| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            meta.file_type().is_char_device() || meta.file_type().is_fifo()
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            false
        }
    };
    if is_stream(&link) {
        return Ok(OutputTarget::Stream);
    }
    if link.file_type().is_symlink() {
        return match std::fs::metadata(path) {
            Ok(target) if is_stream(&target) => Ok(OutputTarget::Stream),
            Ok(target) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "is a symlink to {}; it is not replaced, and not written through (name the file itself)",
                    kind_name(target.file_type())
                ),
            )),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "is a dangling symlink; it is not replaced (name the file itself)",
            )),
        };
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "is {}; only a regular file (replaced whole), a character device or a FIFO can be written",
            kind_name(link.file_type())
        ),
    ))
}

/// Opens an [`OutputTarget::Stream`] path for writing, without creating or truncating
/// anything. A FIFO that no process reads is refused at once (`O_NONBLOCK` makes `open(2)`
/// fail with `ENXIO` instead of waiting for a reader); the opened file must still be a
/// character device or FIFO, and `O_NONBLOCK` is cleared before it is handed out.
pub fn open_stream_output(path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        let file = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(|e| {
                if e.raw_os_error() == Some(libc::ENXIO) {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "is a FIFO that no process is reading; start the reader first",
                    )
                } else {
                    e
                }
            })?;
        let kind = file.metadata()?.file_type();
        if !(kind.is_char_device() || kind.is_fifo()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("changed into {} while being opened", kind_name(kind)),
            ));
        }
        clear_nonblocking(&file)?;
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "writing to a special file is only supported on unix",
        ))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
    }

    #[test]
    fn regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, b"id\nx\n").unwrap();
        assert_eq!(read_regular(&path).unwrap(), b"id\nx\n");
        assert_eq!(
            read_regular(&dir.path().join("missing"))
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn special_files_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("p.csv");
        mkfifo(&fifo);
        let err = read_regular(&fifo).unwrap_err();
        assert_eq!(err.to_string(), "is a FIFO, not a regular file");
        let err = read_regular(dir.path()).unwrap_err();
        assert_eq!(err.to_string(), "is a directory, not a regular file");
        let err = read_regular(Path::new("/dev/null")).unwrap_err();
        assert_eq!(err.to_string(), "is a character device, not a regular file");
        let socket = dir.path().join("s.csv");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let err = read_regular(&socket).unwrap_err();
        assert_eq!(err.to_string(), "is a socket, not a regular file");
    }

    #[test]
    fn output_targets_are_classified() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rows.csv");
        assert_eq!(output_target(&file).unwrap(), OutputTarget::Replace);
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(output_target(&file).unwrap(), OutputTarget::Replace);
        assert_eq!(
            output_target(Path::new("/dev/null")).unwrap(),
            OutputTarget::Stream
        );
        let fifo = dir.path().join("p");
        mkfifo(&fifo);
        assert_eq!(output_target(&fifo).unwrap(), OutputTarget::Stream);
        assert!(output_target(dir.path()).is_err());
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(
            output_target(&link)
                .unwrap_err()
                .to_string()
                .contains("symlink to a regular file")
        );
        let null_link = dir.path().join("null");
        std::os::unix::fs::symlink("/dev/null", &null_link).unwrap();
        assert_eq!(output_target(&null_link).unwrap(), OutputTarget::Stream);
        // Nobody reads the FIFO: refused at once rather than waiting for a reader.
        assert!(
            open_stream_output(&fifo)
                .unwrap_err()
                .to_string()
                .contains("no process is reading")
        );
    }
}
