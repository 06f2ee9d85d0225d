//! Locks that another copy of SQLite in this process can neither ignore nor drop (Linux;
//! docs/decisions.md D26, docs/storage.md "Sharing a store").
//!
//! SQLite's unix VFS locks with POSIX record locks (`fcntl(F_SETLK)`), which belong to the
//! *process*. A second copy of SQLite in the same process — Python's `sqlite3` module next to
//! the copy cohortdb bundles — therefore does not see our locks (nor we its), and closing any
//! descriptor on a file drops every POSIX lock the process holds on it, the other copy's
//! included. Both let two writers into one store at once and destroy it (SQLite's "How To
//! Corrupt An SQLite Database File", §2.2.1).
//!
//! [`install`] replaces three system calls of the bundled SQLite's unix VFS through its
//! documented `xSetSystemCall` hook, once per process, before any connection is opened:
//!
//! - **`fcntl`** (the variadic half lives in `ofd_shim.c`): `F_SETLK`, `F_SETLKW` and
//!   `F_GETLK` become `F_OFD_SETLK`, `F_OFD_SETLKW` and `F_OFD_GETLK`. Open file description
//!   locks conflict with POSIX locks even within one process, and `F_OFD_GETLK` reports this
//!   process's POSIX locks, so our copy and any other copy exclude each other like two
//!   processes. SQLite's VFS counts the locks of all its connections to one file in one
//!   `unixInodeInfo` and calls `fcntl` through whichever connection's descriptor comes first or
//!   last, assuming process-wide locks; so all of this copy's locks on one file (keyed by
//!   device and inode) are taken on **one** lock descriptor, reopened from `/proc/self/fd/N`,
//!   and our own connections share their locks exactly as with POSIX locks.
//! - **`close`**: closing a descriptor drops the *process's* POSIX locks on that file, i.e.
//!   the other copy's. A descriptor of ours is therefore closed only while a **probe** — a
//!   private descriptor of the file, opened for writing — holds an open file description write
//!   lock over the whole file: proof that nobody (no process, neither copy) holds a lock there,
//!   and that none can be taken until the close is done. When the probe cannot take that lock
//!   the descriptor is **parked**: kept open, and closed by a later `close` that can. Locks are
//!   never taken on SQLite's own descriptors, so a forked child holding a copy of one can pin
//!   nothing.
//! - **`open`**: a parked descriptor of the same file opened with the same flags is handed
//!   back instead of opening a new one (SQLite reads and writes with `pread`/`pwrite`, so the
//!   offset does not matter). The number of descriptors thus stays bounded by the number of
//!   connections open at once, even while other processes keep the store open — a connection
//!   in WAL mode holds a shared lock for as long as it is open, so parking is the common case.
//!
//! A file this process may only read cannot be probed, so its descriptors stay parked (and are
//! reused) until the process ends. A forked child closes the lock, probe and parked descriptors
//! it inherited in its `fork` handler (it holds no POSIX lock yet, so that drops nothing) and
//! takes locks through descriptors of its own; the parent's locks are not the child's.
//!
//! Without open file description locks (not Linux, a kernel before 3.15, no `/proc`) nothing is
//! replaced: SQLite keeps its POSIX locks and the limits are documented (docs/storage.md).
use std::path::Path;

/// Installs the replacements into the bundled SQLite (once per process; later calls return at
/// once). It runs when the program (or the Python module) is loaded, before any connection can
/// exist — a connection holding POSIX locks when its locks turned into open file description
/// locks would conflict with itself — and every way the library opens an SQLite file calls it
/// again, in case the loader's call was left out.
pub fn install() {
    #[cfg(target_os = "linux")]
    linux::install();
}

/// [`install`] at load time (an ELF constructor: `.init_array`).
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static INSTALL_AT_LOAD: extern "C" fn() = {
    extern "C" fn at_load() {
        install();
    }
    at_load
};

/// True when the replacements are installed: SQLite's locks in this process are open file
/// description locks.
pub fn active() -> bool {
    #[cfg(target_os = "linux")]
    return linux::ACTIVE.load(std::sync::atomic::Ordering::Acquire);
    #[cfg(not(target_os = "linux"))]
    false
}

/// Reads up to `buf.len()` bytes from the start of the regular file at `path` (a store): how
/// many were read. The descriptor it opens is closed by the rule of SQLite's own (parked while
/// anyone holds a lock on the file, reused by the next read), because closing it could drop
/// another SQLite copy's locks.
pub fn read_head(path: &Path, buf: &mut [u8]) -> std::io::Result<usize> {
    #[cfg(target_os = "linux")]
    if active() {
        return linux::read_head(path, buf);
    }
    let mut file = crate::fsutil::open_regular(path)?;
    read_full(&mut file, buf)
}

/// Reads from `file` until `buf` is full or the file ends: how many bytes were read.
fn read_full(mut file: impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut read = 0;
    while read < buf.len() {
        match file.read(&mut buf[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(read)
}

#[cfg(target_os = "linux")]
mod linux {
    use std::cell::UnsafeCell;
    use std::collections::BTreeMap;
    use std::ffi::{c_char, c_int, c_uint};
    use std::mem::ManuallyDrop;
    use std::os::fd::FromRawFd;
    use std::path::Path;
    use std::sync::Once;
    use std::sync::atomic::{AtomicBool, Ordering};

    use rusqlite::ffi;

    unsafe extern "C" {
        fn cohortdb_ofd_set_lock_fd(f: extern "C" fn(c_int) -> c_int);
        fn cohortdb_ofd_fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
        fn cohortdb_ofd_lock_whole_file(fd: c_int) -> c_int;
    }

    pub(super) static ACTIVE: AtomicBool = AtomicBool::new(false);

    /// The flags [`read_head`] opens with (never handed to SQLite: its flags differ).
    const HEAD_FLAGS: c_int = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;

    /// A file, by device and inode.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct FileId {
        dev: u64,
        ino: u64,
    }

    /// A descriptor open on a regular file, handed out and not yet closed.
    #[derive(Debug, Clone, Copy)]
    struct Opened {
        file: FileId,
        /// The `open` flags it was opened with; `None` for one opened outside the `open`
        /// replacement (never handed out again).
        flags: Option<c_int>,
    }

    /// What this process holds on one file.
    #[derive(Debug, Default)]
    struct File {
        /// Descriptors open on it (handed out and not yet closed).
        live: usize,
        /// The descriptor carrying all of this copy's locks on it.
        lock: Option<c_int>,
        /// A private descriptor (opened for writing) that tried to prove the file free and
        /// could not; kept, because closing it could drop another copy's locks.
        probe: Option<c_int>,
        /// No probe can be opened (this process may not write the file).
        unprovable: bool,
        /// Descriptors closed by their owner that could not be closed yet: (descriptor, flags).
        parked: Vec<(c_int, c_int)>,
    }

    impl File {
        /// Takes an open file description write lock over the whole file on the probe (opened
        /// from `from`, a descriptor of the file, when there is none): true when taken — nobody
        /// holds a lock on the file and nobody can take one until [`File::end_free`].
        fn hold_free(&mut self, from: c_int) -> bool {
            if self.unprovable {
                return false;
            }
            let probe = match self.probe {
                Some(probe) => probe,
                None => match reopen(from, false) {
                    Ok(probe) => *self.probe.insert(probe),
                    Err(e) => {
                        // No write access: never provable. Anything else (out of descriptors)
                        // is tried again at the next close.
                        self.unprovable = e == libc::EACCES;
                        return false;
                    }
                },
            };
            // SAFETY: a plain fcntl on the probe, a descriptor this module owns.
            unsafe { cohortdb_ofd_lock_whole_file(probe) == 0 }
        }

        /// After [`File::hold_free`] returned true: closes the probe, and its lock with it.
        fn end_free(&mut self) {
            if let Some(probe) = self.probe.take() {
                // SAFETY: our probe. Nobody holds a POSIX lock on the file (its lock excluded
                // them), so the close drops none.
                unsafe { libc::close(probe) };
            }
        }
    }

    #[derive(Debug, Default)]
    struct State {
        open: BTreeMap<c_int, Opened>,
        files: BTreeMap<FileId, File>,
    }

    /// The state behind a `pthread_mutex_t`, so `fork` can take it in its prepare handler and
    /// the child find it consistent (a `std::sync::Mutex` cannot be released without a guard).
    struct Shared {
        mutex: UnsafeCell<libc::pthread_mutex_t>,
        state: UnsafeCell<Option<State>>,
    }

    // SAFETY: `state` is only reached through `with_state`, which holds `mutex`, or from the
    // fork handlers, which run while the forking thread holds it.
    unsafe impl Sync for Shared {}

    static SHARED: Shared = Shared {
        mutex: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
        state: UnsafeCell::new(None),
    };

    /// Runs `f` on the state with the mutex held, keeping the caller's `errno` unless `f` sets
    /// it. `f` never calls back into SQLite, and it only makes system calls that never wait on
    /// another process (no blocking lock), so holding the mutex is brief.
    fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
        struct Unlock;
        impl Drop for Unlock {
            fn drop(&mut self) {
                // SAFETY: this thread locked the mutex in `with_state`.
                unsafe { libc::pthread_mutex_unlock(SHARED.mutex.get()) };
            }
        }
        // SAFETY: a statically initialised mutex; locking a normal mutex this thread does not
        // hold (no path re-enters `with_state` from inside `f`).
        unsafe { libc::pthread_mutex_lock(SHARED.mutex.get()) };
        let _unlock = Unlock;
        // SAFETY: the mutex is held for the lifetime of this reference.
        let state = unsafe { &mut *SHARED.state.get() };
        f(state.get_or_insert_with(State::default))
    }

    fn errno() -> c_int {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }

    fn set_errno(value: c_int) {
        // SAFETY: the calling thread's errno location.
        unsafe { *libc::__errno_location() = value };
    }

    /// The file `fd` is open on, when it is a regular file.
    fn file_id(fd: c_int) -> Option<FileId> {
        // SAFETY: `stat` is plain data, filled by `fstat`.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `st` is a valid out-pointer.
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return None;
        }
        ((st.st_mode & libc::S_IFMT) == libc::S_IFREG).then_some(FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        })
    }

    /// The file at `path` (`lstat` when `nofollow`), when it is a regular file.
    fn path_id(path: *const c_char, nofollow: bool) -> Option<FileId> {
        // SAFETY: as in `file_id`.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `path` is a NUL-terminated file name; `st` a valid out-pointer.
        let rc = unsafe {
            if nofollow {
                libc::lstat(path, &mut st)
            } else {
                libc::stat(path, &mut st)
            }
        };
        (rc == 0 && (st.st_mode & libc::S_IFMT) == libc::S_IFREG).then_some(FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        })
    }

    /// Makes sure descriptors 0, 1 and 2 are taken (by `/dev/null` where free), so a
    /// descriptor opened next is never one that other code reads or writes as a standard
    /// stream — SQLite guards its own descriptors the same way.
    fn fill_standard_descriptors() {
        loop {
            // SAFETY: a literal path.
            let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
            if fd < 0 {
                return;
            }
            if fd > 2 {
                // SAFETY: our own descriptor on /dev/null, which no SQLite copy locks.
                unsafe { libc::close(fd) };
                return;
            }
            // A standard descriptor was free: leave /dev/null in it.
        }
    }

    /// Opens a new open file description of the file `fd` is open on: read-write when this
    /// process may write it, else (when `read_only_too`) read-only.
    fn reopen(fd: c_int, read_only_too: bool) -> Result<c_int, c_int> {
        let path = format!("/proc/self/fd/{fd}\0");
        let modes: &[c_int] = if read_only_too {
            &[libc::O_RDWR, libc::O_RDONLY]
        } else {
            &[libc::O_RDWR]
        };
        for &mode in modes {
            fill_standard_descriptors();
            // SAFETY: a NUL-terminated path.
            let new = unsafe {
                libc::open(
                    path.as_ptr().cast(),
                    mode | libc::O_CLOEXEC | libc::O_NOCTTY,
                )
            };
            if new > 2 {
                return Ok(new);
            }
            if new >= 0 {
                // Another thread freed a standard descriptor meanwhile; it cannot be closed
                // (that could drop the other copy's locks), so it stays as it is.
                return Err(libc::EMFILE);
            }
            match errno() {
                libc::EACCES | libc::EPERM | libc::EROFS | libc::ETXTBSY => continue,
                e => return Err(e),
            }
        }
        Err(libc::EACCES)
    }

    impl State {
        /// Starts tracking a descriptor opened on a regular file (`flags` as given to `open`).
        fn track(&mut self, fd: c_int, flags: Option<c_int>) -> Option<FileId> {
            let file = file_id(fd)?;
            if let Some(stale) = self.open.remove(&fd)
                && let Some(f) = self.files.get_mut(&stale.file)
            {
                f.live = f.live.saturating_sub(1);
            }
            self.open.insert(fd, Opened { file, flags });
            self.files.entry(file).or_default().live += 1;
            Some(file)
        }

        /// `open(path, flags, mode)`: a parked descriptor of that file opened with the same
        /// flags, or a new one. Inside the mutex, so a `fork` never falls between the open and
        /// its tracking.
        fn open(&mut self, path: *const c_char, flags: c_int, mode: c_uint) -> c_int {
            if flags & (libc::O_EXCL | libc::O_TRUNC) == 0
                && let Some(fd) = self.reuse(path, flags)
            {
                return fd;
            }
            fill_standard_descriptors();
            // SAFETY: the caller's arguments, passed on.
            let fd = unsafe { libc::open(path, flags, mode) };
            if fd > 2 {
                let saved = errno();
                self.track(fd, Some(flags));
                set_errno(saved);
            }
            fd
        }

        /// A parked descriptor of the file at `path`, opened with `flags`, handed out again.
        fn reuse(&mut self, path: *const c_char, flags: c_int) -> Option<c_int> {
            if self.files.values().all(|f| f.parked.is_empty()) {
                return None;
            }
            let file = path_id(path, flags & libc::O_NOFOLLOW != 0)?;
            let entry = self.files.get_mut(&file)?;
            let at = entry.parked.iter().position(|&(_, f)| f == flags)?;
            let (fd, _) = entry.parked.swap_remove(at);
            entry.live += 1;
            self.open.insert(
                fd,
                Opened {
                    file,
                    flags: Some(flags),
                },
            );
            Some(fd)
        }

        /// The descriptor carrying this copy's locks on the file `fd` is open on.
        fn lock_fd(&mut self, fd: c_int) -> Result<c_int, c_int> {
            let file = match self.open.get(&fd) {
                Some(opened) => opened.file,
                None => match self.track(fd, None) {
                    Some(file) => file,
                    // Not a regular file: SQLite never locks one; lock what was asked.
                    None => return Ok(fd),
                },
            };
            let entry = self.files.entry(file).or_default();
            if let Some(lock) = entry.lock {
                return Ok(lock);
            }
            let lock = reopen(fd, true)?;
            entry.lock = Some(lock);
            Ok(lock)
        }

        /// `close(fd)`: closed at once when provably nobody holds a lock on the file, else
        /// parked. Then retries every parked descriptor.
        fn close(&mut self, fd: c_int) -> c_int {
            let (file, flags) = match self.open.remove(&fd) {
                Some(opened) => {
                    if let Some(f) = self.files.get_mut(&opened.file) {
                        f.live = f.live.saturating_sub(1);
                    }
                    (opened.file, opened.flags)
                }
                None => match file_id(fd) {
                    Some(file) => (file, None),
                    // Not a regular file (or not open): nothing of SQLite's is locked on it.
                    // SAFETY: the caller's descriptor, closed as asked.
                    None => return unsafe { libc::close(fd) },
                },
            };
            if fd <= 2 {
                // Only SQLite's own guard closes a standard descriptor it was handed (it then
                // fills the slot with /dev/null); parking it would leave a standard stream
                // writing into the store. `open` fills the standard slots first, so only a
                // thread closing one of them at the same moment gets here.
                // SAFETY: as above.
                return unsafe { libc::close(fd) };
            }
            let entry = self.files.entry(file).or_default();
            let result = if entry.hold_free(fd) {
                // SAFETY: the caller's descriptor; nobody holds a POSIX lock on the file.
                let result = unsafe { libc::close(fd) };
                let saved = errno();
                entry.end_free();
                set_errno(saved);
                result
            } else {
                // -1: never handed out again (its flags are unknown).
                entry.parked.push((fd, flags.unwrap_or(-1)));
                0
            };
            let saved = errno();
            self.sweep();
            set_errno(saved);
            result
        }

        /// Closes the parked descriptors of every file, and the lock descriptor of every file
        /// nothing has open any more, where the probe proves nobody holds a lock.
        fn sweep(&mut self) {
            for entry in self.files.values_mut() {
                let idle_lock = if entry.live == 0 { entry.lock } else { None };
                let Some(from) = entry.parked.first().map(|&(fd, _)| fd).or(idle_lock) else {
                    continue;
                };
                if !entry.hold_free(from) {
                    continue;
                }
                for (fd, _) in entry.parked.drain(..) {
                    // SAFETY: a parked descriptor this module owns; nobody holds a lock.
                    unsafe { libc::close(fd) };
                }
                if let Some(lock) = idle_lock {
                    // With nothing open on the file this copy holds no lock on it (and the
                    // probe's lock shows nobody does).
                    // SAFETY: the lock descriptor this module owns.
                    unsafe { libc::close(lock) };
                    entry.lock = None;
                }
                entry.end_free();
            }
            self.files.retain(|_, f| {
                f.live > 0 || f.lock.is_some() || f.probe.is_some() || !f.parked.is_empty()
            });
        }

        /// In a forked child: the lock, probe and parked descriptors are the parent's open file
        /// descriptions and are closed (the child holds no POSIX lock yet, so closing drops
        /// none); the child's first lock opens a lock descriptor of its own.
        fn after_fork(&mut self) {
            for entry in self.files.values_mut() {
                let parked = entry.parked.drain(..).map(|(fd, _)| fd);
                for fd in entry
                    .lock
                    .take()
                    .into_iter()
                    .chain(entry.probe.take())
                    .chain(parked)
                {
                    // SAFETY: our descriptor; the parent keeps its own reference.
                    unsafe { libc::close(fd) };
                }
            }
            self.files.retain(|_, f| f.live > 0);
        }
    }

    extern "C" fn lock_fd(fd: c_int) -> c_int {
        match with_state(|st| st.lock_fd(fd)) {
            Ok(lock) => lock,
            Err(e) => {
                set_errno(e);
                -1
            }
        }
    }

    extern "C" fn hook_open(path: *const c_char, flags: c_int, mode: c_int) -> c_int {
        // The mode is a `mode_t` promoted to int by SQLite's variadic-free call.
        with_state(|st| st.open(path, flags, mode as c_uint))
    }

    extern "C" fn hook_close(fd: c_int) -> c_int {
        with_state(|st| st.close(fd))
    }

    /// See [`super::read_head`].
    pub(super) fn read_head(path: &Path, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::FileExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        let fd = with_state(|st| st.open(c.as_ptr(), HEAD_FLAGS, 0));
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is open and ours until closed below; ManuallyDrop never closes it.
        let file = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
        let result = match file.metadata() {
            Ok(meta) if !meta.is_file() => Err(crate::fsutil::not_regular(meta.file_type())),
            Ok(_) => {
                let mut read = 0;
                loop {
                    if read == buf.len() {
                        break Ok(read);
                    }
                    match file.read_at(&mut buf[read..], read as u64) {
                        Ok(0) => break Ok(read),
                        Ok(n) => read += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                }
            }
            Err(e) => Err(e),
        };
        with_state(|st| st.close(fd));
        result
    }

    extern "C" fn before_fork() {
        // SAFETY: released by `after_fork_parent` / `after_fork_child` in the same thread.
        unsafe { libc::pthread_mutex_lock(SHARED.mutex.get()) };
    }

    extern "C" fn after_fork_parent() {
        // SAFETY: locked by `before_fork` in this thread.
        unsafe { libc::pthread_mutex_unlock(SHARED.mutex.get()) };
    }

    extern "C" fn after_fork_child() {
        // SAFETY: the child's only thread holds the mutex (taken by `before_fork`).
        if let Some(state) = unsafe { &mut *SHARED.state.get() } {
            state.after_fork();
        }
        // SAFETY: as above.
        unsafe { libc::pthread_mutex_unlock(SHARED.mutex.get()) };
    }

    /// True when this system has what the replacements need: `/proc/self/fd` reopens a
    /// descriptor (lock descriptors and probes are made so), and the kernel knows open file
    /// description locks (Linux 3.15).
    fn supported() -> bool {
        // SAFETY: a literal path.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return false;
        }
        let reopens = match reopen(fd, true) {
            Ok(again) => {
                // SAFETY: our descriptor on /dev/null.
                unsafe { libc::close(again) };
                true
            }
            Err(_) => false,
        };
        // SAFETY: `flock` is plain data; F_OFD_GETLK fills it.
        let mut probe: libc::flock = unsafe { std::mem::zeroed() };
        probe.l_type = libc::F_RDLCK as _;
        probe.l_whence = libc::SEEK_SET as _;
        // SAFETY: a valid descriptor and out-pointer.
        let ofd = unsafe { libc::fcntl(fd, libc::F_OFD_GETLK, &mut probe) } == 0;
        // SAFETY: as above.
        unsafe { libc::close(fd) };
        reopens && ofd
    }

    pub(super) fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            if !supported() {
                return;
            }
            // SAFETY: `cohortdb_ofd_set_lock_fd` stores a function pointer; `pthread_atfork`
            // registers handlers that only lock, unlock and close; `sqlite3_vfs_find`
            // initialises SQLite and returns its default VFS (the unix VFS, whose system calls
            // are replaced before this process opens any connection through the library).
            unsafe {
                cohortdb_ofd_set_lock_fd(lock_fd);
                if libc::pthread_atfork(
                    Some(before_fork),
                    Some(after_fork_parent),
                    Some(after_fork_child),
                ) != 0
                {
                    return;
                }
                let vfs = ffi::sqlite3_vfs_find(std::ptr::null());
                let Some(set) = vfs.as_ref().and_then(|v| v.xSetSystemCall) else {
                    return;
                };
                type OpenFn = extern "C" fn(*const c_char, c_int, c_int) -> c_int;
                type CloseFn = extern "C" fn(c_int) -> c_int;
                type FcntlFn = unsafe extern "C" fn(c_int, c_int, ...) -> c_int;
                type SyscallFn = unsafe extern "C" fn();
                // SQLite stores every system call as `void (*)(void)` and casts it back to its
                // real type at each call (os_unix.c, `aSyscall`).
                let calls: [(&std::ffi::CStr, ffi::sqlite3_syscall_ptr); 3] = [
                    (
                        c"open",
                        Some(std::mem::transmute::<OpenFn, SyscallFn>(hook_open)),
                    ),
                    (
                        c"close",
                        Some(std::mem::transmute::<CloseFn, SyscallFn>(hook_close)),
                    ),
                    (
                        c"fcntl",
                        Some(std::mem::transmute::<FcntlFn, SyscallFn>(
                            cohortdb_ofd_fcntl,
                        )),
                    ),
                ];
                // `open` and `close` first: tracking and parking alone change nothing; the
                // `fcntl` replacement switches the locks to open file description locks.
                for (name, call) in calls {
                    if set(vfs, name.as_ptr(), call) != ffi::SQLITE_OK {
                        return;
                    }
                }
            }
            ACTIVE.store(true, Ordering::Release);
        });
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// The write lock another open file description (or this process's POSIX locks) holds
        /// or would block, as F_OFD_GETLK sees it from a new descriptor of `path`.
        fn lock_seen(path: &std::path::Path) -> i32 {
            let check = std::fs::OpenOptions::new().write(true).open(path).unwrap();
            let fd = std::os::fd::AsRawFd::as_raw_fd(&check);
            // SAFETY: plain data, filled by the call.
            let mut probe: libc::flock = unsafe { std::mem::zeroed() };
            probe.l_type = libc::F_WRLCK as _;
            probe.l_whence = libc::SEEK_SET as _;
            // SAFETY: a valid descriptor and out-pointer.
            assert_eq!(unsafe { libc::fcntl(fd, libc::F_OFD_GETLK, &mut probe) }, 0);
            // Kept open: closing it would drop the test's own POSIX locks.
            std::mem::forget(check);
            i32::from(probe.l_type)
        }

        fn is_open(fd: c_int) -> bool {
            // SAFETY: F_GETFD only asks.
            unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
        }

        /// Whether `fd` is open on the file at `path`. After a close, "not open" cannot be
        /// asked of the number itself: another test's thread may have been given it since.
        fn open_on(fd: c_int, path: &std::path::Path) -> bool {
            use std::os::unix::fs::MetadataExt;
            let Ok(meta) = std::fs::metadata(path) else {
                return false;
            };
            // SAFETY: stat is plain data; fstat only fills it.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            let status = unsafe { libc::fstat(fd, &mut st) };
            status == 0 && st.st_dev == meta.dev() && st.st_ino == meta.ino()
        }

        #[test]
        fn a_parked_descriptor_is_closed_once_nobody_locks_the_file() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f");
            std::fs::write(&path, b"x").unwrap();
            let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
            // The "other copy": a POSIX read lock of this process on the file.
            let other = std::fs::File::open(&path).unwrap();
            let other_fd = std::os::fd::AsRawFd::as_raw_fd(&other);
            // SAFETY: plain data.
            let mut lock: libc::flock = unsafe { std::mem::zeroed() };
            lock.l_type = libc::F_RDLCK as _;
            lock.l_whence = libc::SEEK_SET as _;
            // SAFETY: a valid descriptor and lock.
            assert_eq!(unsafe { libc::fcntl(other_fd, libc::F_SETLK, &lock) }, 0);

            let flags = libc::O_RDWR | libc::O_CLOEXEC;
            let fd = hook_open(c.as_ptr(), flags, 0o644);
            assert!(fd > 2);
            assert_eq!(hook_close(fd), 0);
            // Parked: still open, and handed back by the next open of the file.
            assert!(is_open(fd));
            assert_eq!(hook_open(c.as_ptr(), flags, 0o644), fd);
            assert_eq!(hook_close(fd), 0);
            assert!(is_open(fd));
            // The POSIX lock is still there.
            assert_eq!(lock_seen(&path), i32::from(libc::F_RDLCK as i16));

            // Released: the next close anywhere closes the parked descriptor.
            lock.l_type = libc::F_UNLCK as _;
            // SAFETY: as above.
            assert_eq!(unsafe { libc::fcntl(other_fd, libc::F_SETLK, &lock) }, 0);
            let scratch = hook_open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC, 0);
            assert!(scratch > 2 && scratch != fd);
            assert_eq!(hook_close(scratch), 0);
            assert!(!open_on(scratch, &path));
            assert!(!open_on(fd, &path));
            drop(other);
        }

        #[test]
        fn a_descriptor_someone_else_shares_is_closed_without_leaving_a_lock() {
            // A forked child holds a copy of every descriptor: whatever the close does to prove
            // the file free must not stay behind on the shared open file description.
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f");
            std::fs::write(&path, b"x").unwrap();
            let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
            let fd = hook_open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC, 0o644);
            assert!(fd > 2);
            // SAFETY: a valid descriptor.
            let child_copy = unsafe { libc::dup(fd) };
            assert!(child_copy > 2);
            assert_eq!(hook_close(fd), 0);
            assert!(!open_on(fd, &path));
            assert_eq!(lock_seen(&path), i32::from(libc::F_UNLCK as i16));
            // SAFETY: our duplicate; nothing locks the file.
            unsafe { libc::close(child_copy) };
        }

        #[test]
        fn the_head_of_a_file_is_read_through_a_reusable_descriptor() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f");
            std::fs::write(&path, b"0123456789").unwrap();
            let mut buf = [0u8; 4];
            assert_eq!(read_head(&path, &mut buf).unwrap(), 4);
            assert_eq!(&buf, b"0123");
            let mut long = [0u8; 32];
            assert_eq!(read_head(&path, &mut long).unwrap(), 10);
            let err = read_head(dir.path(), &mut buf).unwrap_err();
            assert!(err.to_string().contains("not a regular file"), "{err}");
        }
    }
}
