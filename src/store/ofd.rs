//! Locks that another copy of SQLite in this process can neither ignore nor drop (Linux).
//!
//! SQLite's unix VFS locks with POSIX record locks (`fcntl(F_SETLK)`), which belong to the
//! *process*. A second copy of SQLite in the same process — Python's `sqlite3` module next to
//! the copy cohortdb bundles — therefore does not see our locks (nor we its), and closing any
//! descriptor on a file drops every POSIX lock the process holds on it, the other copy's
//! included. Both let two writers into one store at once and destroy it (SQLite's "How To
//! Corrupt An SQLite Database File", §2.2.1; docs/storage.md, "Shared use").
//!
//! [`install`] replaces three system calls of the bundled SQLite's unix VFS through its
//! documented `xSetSystemCall` hook, once per process, before any connection is opened:
//!
//! - **`fcntl`** (the variadic half lives in `ofd_shim.c`): `F_SETLK`, `F_SETLKW` and
//!   `F_GETLK` become `F_OFD_SETLK`, `F_OFD_SETLKW` and `F_OFD_GETLK`. Open file description
//!   locks conflict with POSIX locks even within one process, and `F_OFD_GETLK` reports this
//!   process's POSIX locks, so our copy and any other copy exclude each other like two
//!   processes. SQLite's VFS counts the shared locks of all its connections to one file and
//!   calls `fcntl` only for the first and the last, assuming process-wide locks; so all of this
//!   copy's locks on one file (keyed by device and inode) are taken on **one** descriptor,
//!   reopened from `/proc/self/fd/N`, and our own connections never conflict with each other.
//! - **`close`**: closing a descriptor drops the *process's* POSIX locks on that file, i.e.
//!   the other copy's. A descriptor is therefore closed only after an open file description
//!   write lock over the whole file was taken on it — proof that nobody (no process, neither
//!   copy) holds any lock there, and that none can be taken until the close is done. When the
//!   lock cannot be taken the descriptor is **parked**: kept open, unlocked, and closed by a
//!   later `close` that can take the lock.
//! - **`open`**: a parked descriptor of the same file opened with the same flags is handed
//!   back instead of opening a new one (SQLite reads and writes with `pread`/`pwrite`, so the
//!   offset does not matter). With parking, the number of descriptors stays bounded by the
//!   number of connections open at once, even when another process keeps the store open.
//!
//! A descriptor that cannot take a write lock (a file this process may only read) can never be
//! proved free, so it stays parked until the process ends. Descriptors inherited by a forked
//! child are never locked on or closed by the child (their open file descriptions are shared
//! with the parent); the child's first lock opens a lock descriptor of its own.
//!
//! On other systems there are no open file description locks: nothing is replaced and the
//! limitation is documented (docs/storage.md).

/// Installs the replacements into the bundled SQLite (once per process; later calls return at
/// once). Every way the library opens an SQLite file calls this first.
pub fn install() {
    #[cfg(target_os = "linux")]
    linux::install();
}

/// True when the replacements are installed: SQLite's locks in this process are open file
/// description locks.
pub fn active() -> bool {
    #[cfg(target_os = "linux")]
    return linux::ACTIVE.load(std::sync::atomic::Ordering::Acquire);
    #[cfg(not(target_os = "linux"))]
    false
}

/// Closes `file`, a file this process opened on a store or one of its `-wal`/`-shm` files
/// outside SQLite, by the rule of SQLite's own descriptors: parked, not closed, while anyone
/// holds a lock on it.
pub fn release(file: std::fs::File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::IntoRawFd;
        linux::release(file.into_raw_fd());
    }
    #[cfg(not(target_os = "linux"))]
    drop(file);
}

#[cfg(target_os = "linux")]
mod linux {
    use std::cell::UnsafeCell;
    use std::collections::BTreeMap;
    use std::ffi::{c_char, c_int, c_uint};
    use std::sync::Once;
    use std::sync::atomic::{AtomicBool, Ordering};

    use rusqlite::ffi;

    unsafe extern "C" {
        fn cohortdb_ofd_set_lock_fd(f: extern "C" fn(c_int) -> c_int);
        fn cohortdb_ofd_fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
        fn cohortdb_ofd_lock_whole_file(fd: c_int) -> c_int;
    }

    pub(super) static ACTIVE: AtomicBool = AtomicBool::new(false);

    /// A file, by device and inode.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct FileId {
        dev: u64,
        ino: u64,
    }

    /// A descriptor SQLite has open on a regular file.
    #[derive(Debug, Clone, Copy)]
    struct Opened {
        file: FileId,
        /// The `open` flags it was opened with; `None` for one opened before [`install`] or
        /// outside the `open` replacement (never handed out again).
        flags: Option<c_int>,
        /// Inherited across `fork`: its open file description is shared with the parent, so
        /// it is never locked on or closed here.
        inherited: bool,
    }

    /// What this process holds on one file.
    #[derive(Debug, Default)]
    struct File {
        /// SQLite's descriptors open on it (handed out and not yet closed).
        live: usize,
        /// The descriptor carrying all of this copy's locks on it.
        lock: Option<c_int>,
        /// Descriptors SQLite closed that could not be closed yet: (descriptor, flags).
        parked: Vec<(c_int, c_int)>,
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

    /// Runs `f` on the state with the mutex held. `f` never calls back into SQLite.
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
    fn file_id(fd: c_int) -> Result<Option<FileId>, c_int> {
        // SAFETY: `stat` is plain data, filled by `fstat`.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `st` is a valid out-pointer.
        if unsafe { libc::fstat(fd, &mut st) } != 0 {
            return Err(errno());
        }
        Ok(((st.st_mode & libc::S_IFMT) == libc::S_IFREG).then_some(FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        }))
    }

    /// The file at `path` (`lstat` when `nofollow`), when it is a regular file.
    fn path_id(path: *const c_char, nofollow: bool) -> Option<FileId> {
        // SAFETY: as in `file_id`.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `path` is SQLite's NUL-terminated file name; `st` a valid out-pointer.
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

    /// True when an open file description write lock over the whole file was taken on `fd`:
    /// nobody holds a lock on the file, and nobody can take one while `fd` stays open.
    fn nobody_locks(fd: c_int) -> bool {
        // SAFETY: a plain fcntl on a descriptor this module owns.
        unsafe { cohortdb_ofd_lock_whole_file(fd) == 0 }
    }

    /// Makes sure descriptors 0, 1 and 2 are taken (by `/dev/null` where free), so a lock
    /// descriptor opened next is never one that other code writes to as standard output or
    /// error — SQLite guards its own descriptors the same way.
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
    /// process may write it, else read-only.
    fn reopen(fd: c_int) -> Result<c_int, c_int> {
        let path = format!("/proc/self/fd/{fd}\0");
        for flags in [libc::O_RDWR, libc::O_RDONLY] {
            fill_standard_descriptors();
            // SAFETY: a NUL-terminated path.
            let new = unsafe {
                libc::open(
                    path.as_ptr().cast(),
                    flags | libc::O_CLOEXEC | libc::O_NOCTTY,
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
        /// Starts tracking a descriptor SQLite opened (`flags` as given to `open`).
        fn track(&mut self, fd: c_int, flags: Option<c_int>) -> Option<FileId> {
            let file = file_id(fd).ok().flatten()?;
            if let Some(stale) = self.open.remove(&fd)
                && let Some(f) = self.files.get_mut(&stale.file)
            {
                f.live = f.live.saturating_sub(1);
            }
            self.open.insert(
                fd,
                Opened {
                    file,
                    flags,
                    inherited: false,
                },
            );
            self.files.entry(file).or_default().live += 1;
            Some(file)
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
                    inherited: false,
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
            let lock = reopen(fd)?;
            entry.lock = Some(lock);
            Ok(lock)
        }

        /// SQLite's `close(fd)`: closed when provably nobody holds a lock on the file, else
        /// parked. Then retries every parked descriptor.
        fn close(&mut self, fd: c_int) -> c_int {
            let (file, flags) = match self.open.remove(&fd) {
                Some(opened) => {
                    if let Some(f) = self.files.get_mut(&opened.file) {
                        f.live = f.live.saturating_sub(1);
                    }
                    if opened.inherited {
                        // Shared with the parent process: neither locked on nor closed here.
                        return 0;
                    }
                    (opened.file, opened.flags)
                }
                None => match file_id(fd) {
                    Ok(Some(file)) => (file, None),
                    // Not a regular file (or not open): nothing of SQLite's is locked on it.
                    // SAFETY: SQLite's own descriptor, closed as SQLite asked.
                    _ => return unsafe { libc::close(fd) },
                },
            };
            let result = if nobody_locks(fd) {
                // SAFETY: as above; our whole-file lock goes with it.
                unsafe { libc::close(fd) }
            } else {
                // -1: never handed out again (its flags are unknown).
                self.files
                    .entry(file)
                    .or_default()
                    .parked
                    .push((fd, flags.unwrap_or(-1)));
                0
            };
            let saved = errno();
            self.sweep();
            set_errno(saved);
            result
        }

        /// Closes every parked descriptor, and every lock descriptor of a file SQLite no longer
        /// has open, that nobody's locks keep open any more.
        fn sweep(&mut self) {
            for entry in self.files.values_mut() {
                entry.parked.retain(|&(fd, _)| {
                    if nobody_locks(fd) {
                        // SAFETY: a parked descriptor this module owns.
                        unsafe { libc::close(fd) };
                        false
                    } else {
                        true
                    }
                });
                if entry.live == 0
                    && let Some(lock) = entry.lock
                    && nobody_locks(lock)
                {
                    // With no SQLite descriptor open, this copy holds no lock on the file; the
                    // whole-file lock just taken shows nobody else does.
                    // SAFETY: the lock descriptor this module owns.
                    unsafe { libc::close(lock) };
                    entry.lock = None;
                }
            }
            self.files
                .retain(|_, f| f.live > 0 || f.lock.is_some() || !f.parked.is_empty());
        }

        /// In a forked child: the lock and parked descriptors are the parent's open file
        /// descriptions and are closed (the child holds no POSIX lock yet, so closing drops
        /// none); descriptors SQLite has open are marked inherited.
        fn after_fork(&mut self) {
            for entry in self.files.values_mut() {
                if let Some(lock) = entry.lock.take() {
                    // SAFETY: our descriptor; the parent keeps its own reference.
                    unsafe { libc::close(lock) };
                }
                for &(fd, _) in &entry.parked {
                    // SAFETY: as above.
                    unsafe { libc::close(fd) };
                }
                entry.parked.clear();
            }
            for opened in self.open.values_mut() {
                opened.inherited = true;
            }
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
        if flags & (libc::O_EXCL | libc::O_TRUNC) == 0
            && let Some(fd) = with_state(|st| st.reuse(path, flags))
        {
            return fd;
        }
        // SAFETY: SQLite's arguments, passed on (the mode is a `mode_t`, promoted).
        let fd = unsafe { libc::open(path, flags, mode as c_uint) };
        if fd >= 0 {
            with_state(|st| st.track(fd, Some(flags)));
        }
        fd
    }

    extern "C" fn hook_close(fd: c_int) -> c_int {
        with_state(|st| st.close(fd))
    }

    pub(super) fn release(fd: c_int) {
        with_state(|st| {
            st.track(fd, None);
            st.close(fd)
        });
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

    /// True when `/proc/self/fd` reopens a descriptor (it is how lock descriptors are made).
    fn proc_reopen_works() -> bool {
        // SAFETY: a literal path.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return false;
        }
        let works = match reopen(fd) {
            Ok(again) => {
                // SAFETY: our descriptor on /dev/null.
                unsafe { libc::close(again) };
                true
            }
            Err(_) => false,
        };
        // SAFETY: as above.
        unsafe { libc::close(fd) };
        works
    }

    pub(super) fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            if !proc_reopen_works() {
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
                let open_fn: extern "C" fn(*const c_char, c_int, c_int) -> c_int = hook_open;
                let close_fn: extern "C" fn(c_int) -> c_int = hook_close;
                let fcntl_fn: unsafe extern "C" fn(c_int, c_int, ...) -> c_int =
                    cohortdb_ofd_fcntl;
                // SQLite stores every system call as `void (*)(void)` and casts it back to its
                // real type at each call (os_unix.c, `aSyscall`).
                let calls: [(&std::ffi::CStr, ffi::sqlite3_syscall_ptr); 3] = [
                    (c"open", Some(std::mem::transmute::<_, unsafe extern "C" fn()>(open_fn))),
                    (c"close", Some(std::mem::transmute::<_, unsafe extern "C" fn()>(close_fn))),
                    (c"fcntl", Some(std::mem::transmute::<_, unsafe extern "C" fn()>(fcntl_fn))),
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

        #[test]
        fn a_parked_descriptor_is_closed_once_nobody_locks_the_file() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f");
            std::fs::write(&path, b"x").unwrap();
            let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
            // The "other copy": a POSIX read lock of this process on the file.
            let other = std::fs::File::open(&path).unwrap();
            let other_fd = std::os::fd::AsRawFd::as_raw_fd(&other);
            let mut lock: libc::flock = unsafe { std::mem::zeroed() };
            lock.l_type = libc::F_RDLCK as _;
            lock.l_whence = libc::SEEK_SET as _;
            assert_eq!(unsafe { libc::fcntl(other_fd, libc::F_SETLK, &lock) }, 0);

            let flags = libc::O_RDWR | libc::O_CLOEXEC;
            let fd = hook_open(c.as_ptr(), flags, 0o644);
            assert!(fd > 2);
            assert_eq!(hook_close(fd), 0);
            // Parked: still open, and handed back by the next open of the file.
            assert_ne!(unsafe { libc::fcntl(fd, libc::F_GETFD) }, -1);
            assert_eq!(hook_open(c.as_ptr(), flags, 0o644), fd);
            assert_eq!(hook_close(fd), 0);
            assert_ne!(unsafe { libc::fcntl(fd, libc::F_GETFD) }, -1);

            // The POSIX lock is still there.
            let mut probe: libc::flock = unsafe { std::mem::zeroed() };
            probe.l_type = libc::F_WRLCK as _;
            probe.l_whence = libc::SEEK_SET as _;
            let check = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            let check_fd = std::os::fd::AsRawFd::as_raw_fd(&check);
            assert_eq!(unsafe { libc::fcntl(check_fd, libc::F_OFD_GETLK, &mut probe) }, 0);
            assert_eq!(i32::from(probe.l_type), libc::F_RDLCK);

            // Released: the next close anywhere closes the parked descriptor.
            lock.l_type = libc::F_UNLCK as _;
            assert_eq!(unsafe { libc::fcntl(other_fd, libc::F_SETLK, &lock) }, 0);
            let scratch = hook_open(c.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC, 0);
            assert!(scratch > 2 && scratch != fd);
            // Read-only: it cannot prove the file free, so it is parked; the sweep that
            // follows closes the parked read-write one.
            hook_close(scratch);
            assert_eq!(unsafe { libc::fcntl(fd, libc::F_GETFD) }, -1);
            drop(check);
            drop(other);
        }
    }
}
