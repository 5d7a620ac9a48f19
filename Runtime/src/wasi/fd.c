/* fd.c: the fd_* functions: reading, writing, seeking, status, directories. Reads and writes go
 * straight to the host fd (readv/writev): nothing is buffered on the host side. */
#include "wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* The shared body of fd_read/fd_write/fd_pread/fd_pwrite: `result` must be writable before any
 * byte moves, so that a bad result pointer does not lose data. Missing rights read as POSIX
 * would have them: EBADF without the read or write right (a read() on a write-only fd), ESPIPE
 * without the seek right (pread() on a terminal). */
static uint16_t transfer(wasmc_wasi *w, const wasmc_value *a, bool write, bool positioned) {
    wasi_fd *f = wasi_slot(w, WASI_ARG32(0));
    if (!f || !(f->rights & (write ? WASI_RIGHT_FD_WRITE : WASI_RIGHT_FD_READ))) return WASI_EBADF;
    if (positioned && !(f->rights & WASI_RIGHT_FD_SEEK)) return WASI_ESPIPE;
    uint16_t e;
    uint64_t offset = positioned ? WASI_ARG64(3) : 0;
    uint32_t result = WASI_ARG32(positioned ? 4 : 3);
    if (!wasi_mem(w, result, 4)) return WASI_EFAULT;
    if (offset > INT64_MAX) return WASI_EINVAL;
    struct iovec stack_iov[16], *iov = stack_iov;
    uint32_t n = WASI_ARG32(2);
    /* More than WASI_IOV_MAX fails in wasi_iovecs before any entry is written. */
    if (n > 16 && n <= WASI_IOV_MAX && !(iov = malloc(n * sizeof *iov))) return WASI_ENOMEM;
    e = wasi_iovecs(w, WASI_ARG32(1), n, iov);
    ssize_t done = 0;
    if (!e && f->host == WASI_EMBEDDED) {
        uint32_t moved = 0;
        e = wasi_embedded_transfer(w, f, iov, n, positioned, offset, &moved);
        done = moved;
    } else if (!e) {
        do {
            if (positioned)
                done = write ? pwritev(f->host, iov, (int)n, (off_t)offset)
                             : preadv(f->host, iov, (int)n, (off_t)offset);
            else
                done = write ? writev(f->host, iov, (int)n) : readv(f->host, iov, (int)n);
        } while (done < 0 && errno == EINTR);
        if (done < 0) e = wasi_errno(errno);
    }
    if (iov != stack_iov) free(iov);
    return e ? e : wasi_put32(w, result, (uint32_t)done);
}

uint16_t wasi_fd_read(wasmc_wasi *w, const wasmc_value *a) { return transfer(w, a, false, false); }
uint16_t wasi_fd_write(wasmc_wasi *w, const wasmc_value *a) { return transfer(w, a, true, false); }
uint16_t wasi_fd_pread(wasmc_wasi *w, const wasmc_value *a) { return transfer(w, a, false, true); }
uint16_t wasi_fd_pwrite(wasmc_wasi *w, const wasmc_value *a) { return transfer(w, a, true, true); }

uint16_t wasi_fd_seek(wasmc_wasi *w, const wasmc_value *a) {
    int64_t offset = (int64_t)WASI_ARG64(1);
    uint32_t whence = WASI_ARG32(2);
    /* Asking where we are needs only FD_TELL. */
    uint64_t rights = offset == 0 && whence == 1 ? WASI_RIGHT_FD_TELL : WASI_RIGHT_FD_SEEK;
    wasi_fd *f;
    uint16_t e = wasi_lookup(w, WASI_ARG32(0), rights, &f);
    if (e) return e;
    if (whence > 2) return WASI_EINVAL;
    if (!wasi_mem(w, WASI_ARG32(3), 8)) return WASI_EFAULT;
    if (f->host == WASI_EMBEDDED) {
        uint64_t at;
        e = wasi_embedded_seek(f, w, offset, whence, &at);
        return e ? e : wasi_put64(w, WASI_ARG32(3), at);
    }
    static const int whences[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    off_t at = lseek(f->host, (off_t)offset, whences[whence]);
    if (at < 0) return wasi_errno(errno);
    return wasi_put64(w, WASI_ARG32(3), (uint64_t)at);
}

uint16_t wasi_fd_tell(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f;
    uint16_t e = wasi_lookup(w, WASI_ARG32(0), WASI_RIGHT_FD_TELL, &f);
    if (e) return e;
    if (!wasi_mem(w, WASI_ARG32(1), 8)) return WASI_EFAULT;
    if (f->host == WASI_EMBEDDED) {
        uint64_t at;
        e = wasi_embedded_seek(f, w, 0, 1, &at);
        return e ? e : wasi_put64(w, WASI_ARG32(1), at);
    }
    off_t at = lseek(f->host, 0, SEEK_CUR);
    if (at < 0) return wasi_errno(errno);
    return wasi_put64(w, WASI_ARG32(1), (uint64_t)at);
}

uint16_t wasi_fd_close(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f = wasi_slot(w, WASI_ARG32(0));
    if (!f) return WASI_EBADF;
    wasi_slot_close(f);
    return 0;
}

uint16_t wasi_fd_renumber(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *from = wasi_slot(w, WASI_ARG32(0)), *to = wasi_slot(w, WASI_ARG32(1));
    if (!from || !to) return WASI_EBADF;
    if (from == to) return 0;
    wasi_slot_close(to);
    *to = *from;
    *from = (wasi_fd){.host = -1};
    return 0;
}

static uint16_t sync_with(wasmc_wasi *w, const wasmc_value *a, uint64_t right, int (*sync)(int)) {
    wasi_fd *f;
    uint16_t e = wasi_lookup(w, WASI_ARG32(0), right, &f);
    if (e) return e;
    return sync(f->host) == 0 ? 0 : wasi_errno(errno);
}

uint16_t wasi_fd_sync(wasmc_wasi *w, const wasmc_value *a) {
    return sync_with(w, a, WASI_RIGHT_FD_SYNC, fsync);
}

uint16_t wasi_fd_datasync(wasmc_wasi *w, const wasmc_value *a) {
    return sync_with(w, a, WASI_RIGHT_FD_DATASYNC, fdatasync);
}

uint16_t wasi_fd_advise(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f;
    uint16_t e = wasi_lookup(w, WASI_ARG32(0), WASI_RIGHT_FD_ADVISE, &f);
    if (e) return e;
    static const int advice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                 POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    uint32_t which = WASI_ARG32(3);
    if (which >= sizeof advice / sizeof advice[0]) return WASI_EINVAL;
    if (WASI_ARG64(1) > INT64_MAX || WASI_ARG64(2) > INT64_MAX) return WASI_EINVAL;
    if (f->host == WASI_EMBEDDED) return 0;
    /* Advice is only advice: where the host cannot take it (pipes, terminals), it is ignored. */
    int r = posix_fadvise(f->host, (off_t)WASI_ARG64(1), (off_t)WASI_ARG64(2), advice[which]);
    return r == 0 || r == ESPIPE ? 0 : wasi_errno(r);
}

uint16_t wasi_fd_allocate(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f;
    uint16_t e = wasi_lookup(w, WASI_ARG32(0), WASI_RIGHT_FD_ALLOCATE, &f);
    if (e) return e;
    uint64_t offset = WASI_ARG64(1), len = WASI_ARG64(2);
    if (offset > INT64_MAX || len > INT64_MAX - offset) return WASI_EINVAL;
    int r = posix_fallocate(f->host, (off_t)offset, (off_t)len);
    return r == 0 ? 0 : wasi_errno(r);
}

/* ---- status ------------------------------------------------------------------------------ */

uint16_t wasi_fd_fdstat_get(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f = wasi_slot(w, WASI_ARG32(0));
    if (!f) return WASI_EBADF;
    uint8_t *p = wasi_mem(w, WASI_ARG32(1), 24);
    if (!p) return WASI_EFAULT;
    int fl = f->host == WASI_EMBEDDED ? O_RDONLY : fcntl(f->host, F_GETFL);
    if (fl < 0) return wasi_errno(errno);
    uint16_t flags = 0;
    if (fl & O_APPEND) flags |= WASI_FDFLAG_APPEND;
    if (fl & O_NONBLOCK) flags |= WASI_FDFLAG_NONBLOCK;
    if ((fl & O_SYNC) == O_SYNC) flags |= WASI_FDFLAG_SYNC;
    else if (fl & O_DSYNC) flags |= WASI_FDFLAG_DSYNC;
    memset(p, 0, 24);
    p[0] = f->filetype;
    wasi_store16(p + 2, flags);
    wasi_store64(p + 8, f->rights);
    wasi_store64(p + 16, f->inheriting);
    return 0;
}

uint16_t wasi_fd_fdstat_set_flags(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f;
    uint16_t e = wasi_lookup(w, WASI_ARG32(0), WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &f);
    if (e) return e;
    uint32_t flags = WASI_ARG32(1);
    /* Only append and nonblock can change on an open file (as with fcntl F_SETFL). */
    if (flags & ~(uint32_t)(WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK)) return WASI_ENOTSUP;
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0) return wasi_errno(errno);
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & WASI_FDFLAG_APPEND) fl |= O_APPEND;
    if (flags & WASI_FDFLAG_NONBLOCK) fl |= O_NONBLOCK;
    return fcntl(f->host, F_SETFL, fl) == 0 ? 0 : wasi_errno(errno);
}

uint16_t wasi_fd_fdstat_set_rights(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f = wasi_slot(w, WASI_ARG32(0));
    if (!f) return WASI_EBADF;
    uint64_t rights = WASI_ARG64(1) & WASI_RIGHTS_ALL, inheriting = WASI_ARG64(2) & WASI_RIGHTS_ALL;
    /* Rights can only be dropped. */
    if ((rights & ~f->rights) || (inheriting & ~f->inheriting)) return WASI_ENOTCAPABLE;
    f->rights = rights;
    f->inheriting = inheriting;
    return 0;
}

uint16_t wasi_fd_filestat_get(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f;
    uint16_t e = wasi_lookup(w, WASI_ARG32(0), WASI_RIGHT_FD_FILESTAT_GET, &f);
    if (e) return e;
    if (!wasi_mem(w, WASI_ARG32(1), 64)) return WASI_EFAULT;
    if (f->host == WASI_EMBEDDED) return wasi_embedded_filestat(w, f->node, WASI_ARG32(1));
    struct stat st;
    if (fstat(f->host, &st) != 0) return wasi_errno(errno);
    return wasi_put_filestat(w, WASI_ARG32(1), &st);
}

uint16_t wasi_fd_filestat_set_size(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f;
    uint16_t e = wasi_lookup(w, WASI_ARG32(0), WASI_RIGHT_FD_FILESTAT_SET_SIZE, &f);
    if (e) return e;
    if (WASI_ARG64(1) > INT64_MAX) return WASI_EINVAL;
    return ftruncate(f->host, (off_t)WASI_ARG64(1)) == 0 ? 0 : wasi_errno(errno);
}

uint16_t wasi_timespecs(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec ts[2]) {
    if ((flags & WASI_FST_ATIM && flags & WASI_FST_ATIM_NOW) ||
        (flags & WASI_FST_MTIM && flags & WASI_FST_MTIM_NOW) || flags > 15)
        return WASI_EINVAL;
    const uint64_t times[2] = {atim, mtim};
    for (int i = 0; i < 2; i++) {
        uint32_t set = i ? WASI_FST_MTIM : WASI_FST_ATIM, now = i ? WASI_FST_MTIM_NOW : WASI_FST_ATIM_NOW;
        if (flags & set)
            ts[i] = (struct timespec){(time_t)(times[i] / 1000000000u), (long)(times[i] % 1000000000u)};
        else
            ts[i] = (struct timespec){0, flags & now ? UTIME_NOW : UTIME_OMIT};
    }
    return 0;
}

uint16_t wasi_fd_filestat_set_times(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f;
    uint16_t e = wasi_lookup(w, WASI_ARG32(0), WASI_RIGHT_FD_FILESTAT_SET_TIMES, &f);
    if (e) return e;
    struct timespec ts[2];
    e = wasi_timespecs(WASI_ARG64(1), WASI_ARG64(2), WASI_ARG32(3), ts);
    if (e) return e;
    return futimens(f->host, ts) == 0 ? 0 : wasi_errno(errno);
}

/* ---- preopens ------------------------------------------------------------------------------ */

uint16_t wasi_fd_prestat_get(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f = wasi_slot(w, WASI_ARG32(0));
    if (!f || !f->preopen) return WASI_EBADF;
    uint8_t *p = wasi_mem(w, WASI_ARG32(1), 8);
    if (!p) return WASI_EFAULT;
    memset(p, 0, 8); /* tag 0: a directory */
    wasi_store32(p + 4, (uint32_t)strlen(f->preopen));
    return 0;
}

uint16_t wasi_fd_prestat_dir_name(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f = wasi_slot(w, WASI_ARG32(0));
    if (!f || !f->preopen) return WASI_EBADF;
    size_t len = strlen(f->preopen);
    if (WASI_ARG32(2) < len) return WASI_ENAMETOOLONG;
    uint8_t *p = wasi_mem(w, WASI_ARG32(1), len);
    if (!p) return WASI_EFAULT;
    memcpy(p, f->preopen, len);
    return 0;
}

/* ---- directories --------------------------------------------------------------------------- */

static uint8_t dirent_type(int dirfd, const struct dirent *d) {
    switch (d->d_type) {
    case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR: return WASI_FILETYPE_DIRECTORY;
    case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
    case DT_FIFO: return WASI_FILETYPE_UNKNOWN;
    default: {
        struct stat st;
        if (fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return WASI_FILETYPE_UNKNOWN;
        return wasi_filetype(st.st_mode);
    }
    }
}

/* Entries are numbered from 0 in the order the host gives them, and an entry's d_next cookie is
 * its number + 1. The stream is kept between calls, so reading on from the last cookie costs
 * nothing; an older cookie rewinds and skips. An entry that does not fit whole is written in part
 * (as the spec asks: the guest then sees a full buffer and retries with a larger one) and the
 * stream is set back to it. */
uint16_t wasi_fd_readdir(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f = wasi_slot(w, WASI_ARG32(0));
    if (!f) return WASI_EBADF;
    if (f->filetype != WASI_FILETYPE_DIRECTORY) return WASI_ENOTDIR;
    if (!(f->rights & WASI_RIGHT_FD_READDIR)) return WASI_ENOTCAPABLE;
    uint32_t len = WASI_ARG32(2);
    uint64_t cookie = WASI_ARG64(3);
    uint8_t *buf = wasi_mem(w, WASI_ARG32(1), len);
    if (!buf || !wasi_mem(w, WASI_ARG32(4), 4)) return WASI_EFAULT;
    if (f->host == WASI_EMBEDDED) {
        uint32_t used;
        uint16_t e = wasi_embedded_readdir(w, f, buf, len, cookie, &used);
        return e ? e : wasi_put32(w, WASI_ARG32(4), used);
    }
    if (!f->dir) {
        /* Our own open file description, so that the guest's fd offset is not disturbed. */
        int fd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return wasi_errno(errno);
        if (!(f->dir = fdopendir(fd))) {
            close(fd);
            return wasi_errno(errno);
        }
        f->dir_pos = 0;
    }
    if (cookie < f->dir_pos) {
        rewinddir(f->dir);
        f->dir_pos = 0;
    }
    while (f->dir_pos < cookie) {
        errno = 0;
        if (!readdir(f->dir)) {
            if (errno) return wasi_errno(errno);
            return wasi_put32(w, WASI_ARG32(4), 0); /* past the end */
        }
        f->dir_pos++;
    }
    uint32_t used = 0;
    while (used < len) {
        long here = telldir(f->dir);
        errno = 0;
        struct dirent *d = readdir(f->dir);
        if (!d) {
            if (errno) return wasi_errno(errno);
            break;
        }
        uint8_t head[24];
        size_t namelen = strlen(d->d_name);
        wasi_store64(head, f->dir_pos + 1);
        wasi_store64(head + 8, (uint64_t)d->d_ino);
        wasi_store32(head + 16, (uint32_t)namelen);
        memset(head + 20, 0, 4);
        head[20] = dirent_type(dirfd(f->dir), d);
        uint32_t room = len - used;
        if (24 + namelen > room) { /* fill the buffer with what fits and stay on this entry */
            memcpy(buf + used, head, room < 24 ? room : 24);
            if (room > 24) memcpy(buf + used + 24, d->d_name, room - 24);
            used = len;
            seekdir(f->dir, here);
            break;
        }
        memcpy(buf + used, head, 24);
        memcpy(buf + used + 24, d->d_name, namelen);
        used += 24 + (uint32_t)namelen;
        f->dir_pos++;
    }
    return wasi_put32(w, WASI_ARG32(4), used);
}
