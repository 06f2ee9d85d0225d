/*
 * The variadic half of cohortdb's replacement for the `fcntl` system call of SQLite's unix VFS
 * (docs/storage.md "Shared use", src/store/ofd.rs).
 *
 * SQLite calls `fcntl` through a pointer of type `int (*)(int, int, ...)`. A variadic function
 * cannot be defined in stable Rust, so this file receives the call, reads the third argument as
 * a pointer (as glibc's own `fcntl` does for every command), and turns SQLite's POSIX record
 * locks (F_SETLK, F_SETLKW, F_GETLK) into open file description locks (F_OFD_SETLK,
 * F_OFD_SETLKW, F_OFD_GETLK) taken on the one descriptor that carries this copy of SQLite's
 * locks on the file. Rust (src/store/ofd.rs) finds that descriptor; every other command passes
 * through unchanged. The lock commands and `struct flock` are used exactly as SQLite's own
 * os_unix.c sees them: same headers, same _FILE_OFFSET_BITS.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>

/* Returns the descriptor that carries the locks of the file `fd` is open on, or -1 with errno
 * set. Installed once by Rust before the VFS calls this file (cohortdb_ofd_set_lock_fd). */
typedef int (*cohortdb_lock_fd_fn)(int fd);
static cohortdb_lock_fd_fn lock_fd = NULL;

void cohortdb_ofd_set_lock_fd(cohortdb_lock_fd_fn f) { lock_fd = f; }

int cohortdb_ofd_fcntl(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);

    int ofd_cmd;
    switch (cmd) {
    case F_SETLK:
        ofd_cmd = F_OFD_SETLK;
        break;
    case F_SETLKW:
        ofd_cmd = F_OFD_SETLKW;
        break;
    case F_GETLK:
        ofd_cmd = F_OFD_GETLK;
        break;
    default:
        return fcntl(fd, cmd, arg);
    }
    if (lock_fd == NULL) {
        errno = ENOLCK;
        return -1;
    }
    int target = lock_fd(fd);
    if (target < 0) {
        return -1; /* errno set by lock_fd */
    }
    struct flock *caller = arg;
    struct flock lock = *caller;
    lock.l_pid = 0; /* required by the F_OFD_* commands; SQLite leaves it unset */
    int rc = fcntl(target, ofd_cmd, &lock);
    if (rc == 0 && cmd == F_GETLK) {
        *caller = lock;
    }
    return rc;
}

/* Tries to take an open-file-description write lock over the whole of the file `fd` is open
 * on, on `fd`'s own open file description (never waits). 0 when taken: no process holds any
 * lock on the file, and none can take one until `fd` is closed. -1 with errno (EAGAIN: some
 * lock is held; EBADF: `fd` is not open for writing). */
int cohortdb_ofd_lock_whole_file(int fd) {
    struct flock lock;
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;
    lock.l_pid = 0;
    return fcntl(fd, F_OFD_SETLK, &lock);
}

/* Whether any process (this one's POSIX locks included) holds a lock on the file `fd` is open
 * on that conflicts with a write lock over the whole file, other than locks of `fd`'s own open
 * file description: 1 yes, 0 no, -1 with errno. For tests. */
int cohortdb_ofd_file_is_locked(int fd) {
    struct flock lock;
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;
    lock.l_pid = 0;
    if (fcntl(fd, F_OFD_GETLK, &lock) != 0) {
        return -1;
    }
    return lock.l_type != F_UNLCK;
}
