/* path.c: the path_* functions. Every path is resolved by wasi_resolve (resolve.c) inside the
 * directory fd it is relative to; the operation itself then uses the *at system call on the
 * resolved (directory, name) pair without following a final symbolic link. */
#include "wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Looks up the directory fd (with `rights`) and the guest path's bytes: 0 with *dir and *p
 * set, or an errno. */
static uint16_t directory(wasmc_wasi *w, uint32_t fd, uint64_t rights, uint32_t path, uint32_t len,
                          wasi_fd **dir, const char **p) {
    wasi_fd *f = wasi_slot(w, fd);
    if (!f) return WASI_EBADF;
    if (f->filetype != WASI_FILETYPE_DIRECTORY) return WASI_ENOTDIR;
    if ((f->rights & rights) != rights) return WASI_ENOTCAPABLE;
    if (!(*p = (const char *)wasi_mem(w, path, len))) return WASI_EFAULT;
    *dir = f;
    return 0;
}

/* Looks up the directory fd (with `rights`) and resolves the guest path in it. */
static uint16_t resolve(wasmc_wasi *w, uint32_t fd, uint64_t rights, uint32_t path, uint32_t len,
                        bool follow, wasi_fd **dir, wasi_path *out) {
    wasi_fd *f;
    const char *p;
    uint16_t e = directory(w, fd, rights, path, len, &f, &p);
    if (e) return e;
    if (dir) *dir = f;
    /* In an embedded directory (path_open and path_filestat_get use resolve_embedded), what
     * is left changes things, but readlink, which finds no symbolic link there. */
    if (f->host == WASI_EMBEDDED) {
        uint32_t node;
        e = wasi_embedded_resolve(w, f, p, len, &node);
        bool creates = rights & (WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_SYMLINK |
                                 WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_RENAME_TARGET);
        if (e == WASI_ENOENT && creates) return WASI_EROFS;
        return e ? e : rights == WASI_RIGHT_PATH_READLINK ? WASI_EINVAL : WASI_EROFS;
    }
    return wasi_resolve(f->host, p, len, follow, out);
}

/* For a directory fd of an embedded directory: looks it up (with `rights`) and resolves the
 * path to one of its entries. 1 with *e set when `fd` is one, else 0 (a host fd: use resolve). */
static int resolve_embedded(wasmc_wasi *w, uint32_t fd, uint64_t rights, uint32_t path, uint32_t len,
                            wasi_fd **dir, uint32_t *node, uint16_t *e) {
    wasi_fd *f = wasi_slot(w, fd);
    if (!f || f->host != WASI_EMBEDDED) return 0;
    const char *p;
    *e = directory(w, fd, rights, path, len, dir, &p);
    if (!*e) *e = wasi_embedded_resolve(w, *dir, p, len, node);
    return 1;
}

static uint16_t result(int r) { return r == 0 ? 0 : wasi_errno(errno); }

uint16_t wasi_path_open(wasmc_wasi *w, const wasmc_value *a) {
    uint32_t dirflags = WASI_ARG32(1), oflags = WASI_ARG32(4), fdflags = WASI_ARG32(7);
    /* Bits no right stands for are ignored (some toolchains ask for ~0, "everything"). */
    uint64_t base = WASI_ARG64(5) & WASI_RIGHTS_ALL, inheriting = WASI_ARG64(6) & WASI_RIGHTS_ALL;
    uint64_t needed = WASI_RIGHT_PATH_OPEN | (oflags & WASI_O_CREAT ? WASI_RIGHT_PATH_CREATE_FILE : 0) |
                      (oflags & WASI_O_TRUNC ? WASI_RIGHT_PATH_FILESTAT_SET_SIZE : 0);
    wasi_fd *dir;
    wasi_path p;
    if (!wasi_mem(w, WASI_ARG32(8), 4)) return WASI_EFAULT;
    uint32_t node, fd;
    uint16_t e;
    if (resolve_embedded(w, WASI_ARG32(0), needed, WASI_ARG32(2), WASI_ARG32(3), &dir, &node, &e)) {
        if (e == WASI_ENOENT && (oflags & WASI_O_CREAT)) e = WASI_EROFS;
        if (!e && ((base & ~dir->inheriting) || (inheriting & ~dir->inheriting))) e = WASI_ENOTCAPABLE;
        if (!e) e = wasi_embedded_open(w, dir, node, oflags, base, inheriting, &fd);
        return e ? e : wasi_put32(w, WASI_ARG32(8), fd);
    }
    e = resolve(w, WASI_ARG32(0), needed, WASI_ARG32(2), WASI_ARG32(3),
                         dirflags & WASI_LOOKUP_SYMLINK_FOLLOW, &dir, &p);
    if (e) return e;
    /* The new fd's rights can only be a subset of what the directory passes on. */
    if ((base & ~dir->inheriting) || (inheriting & ~dir->inheriting)) {
        wasi_path_close(&p);
        return WASI_ENOTCAPABLE;
    }
    bool read = base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR);
    bool write = base & (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE |
                         WASI_RIGHT_FD_FILESTAT_SET_SIZE);
    if ((oflags & WASI_O_DIRECTORY) && (oflags & (WASI_O_CREAT | WASI_O_TRUNC))) {
        wasi_path_close(&p);
        return WASI_EINVAL;
    }
    int flags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
    /* O_DIRECTORY and a trailing slash ask for a directory and keep the access mode, so a
     * directory opened with the rights to write is EISDIR, as on the host and in Wasmtime. A
     * trailing slash with O_CREAT is EISDIR too: path_open creates files, not directories. */
    if (p.trailing_slash && (oflags & WASI_O_CREAT)) {
        wasi_path_close(&p);
        return WASI_EISDIR;
    }
    if ((oflags & WASI_O_DIRECTORY) || p.trailing_slash) flags |= O_DIRECTORY;
    if (write) flags |= read ? O_RDWR : O_WRONLY;
    if (oflags & WASI_O_CREAT) flags |= O_CREAT;
    if (oflags & WASI_O_EXCL) flags |= O_EXCL;
    if (oflags & WASI_O_TRUNC) flags |= O_TRUNC;
    if (fdflags & WASI_FDFLAG_APPEND) flags |= O_APPEND;
    if (fdflags & WASI_FDFLAG_NONBLOCK) flags |= O_NONBLOCK;
    if (fdflags & WASI_FDFLAG_DSYNC) flags |= O_DSYNC;
    if (fdflags & WASI_FDFLAG_SYNC) flags |= O_SYNC;
    if (fdflags & WASI_FDFLAG_RSYNC) flags |= O_RSYNC;
    int host = openat(p.dir, p.name, flags, 0666);
    int err = errno;
    wasi_path_close(&p);
    if (host < 0) return wasi_errno(err);
    uint8_t type = wasi_host_filetype(host);
    /* Rights that make no sense for what was opened are dropped. */
    if (type == WASI_FILETYPE_DIRECTORY) base &= WASI_RIGHTS_DIR;
    else base &= WASI_RIGHTS_FILE | WASI_RIGHTS_SOCKET;
    e = wasi_install(w, host, type, base, inheriting, &fd);
    return e ? e : wasi_put32(w, WASI_ARG32(8), fd);
}

uint16_t wasi_path_create_directory(wasmc_wasi *w, const wasmc_value *a) {
    wasi_path p;
    uint16_t e = resolve(w, WASI_ARG32(0), WASI_RIGHT_PATH_CREATE_DIRECTORY, WASI_ARG32(1),
                         WASI_ARG32(2), false, NULL, &p);
    if (e) return e;
    e = result(mkdirat(p.dir, p.name, 0777));
    wasi_path_close(&p);
    return e;
}

uint16_t wasi_path_remove_directory(wasmc_wasi *w, const wasmc_value *a) {
    wasi_path p;
    uint16_t e = resolve(w, WASI_ARG32(0), WASI_RIGHT_PATH_REMOVE_DIRECTORY, WASI_ARG32(1),
                         WASI_ARG32(2), false, NULL, &p);
    if (e) return e;
    e = result(unlinkat(p.dir, p.name, AT_REMOVEDIR));
    wasi_path_close(&p);
    return e;
}

uint16_t wasi_path_unlink_file(wasmc_wasi *w, const wasmc_value *a) {
    wasi_path p;
    uint16_t e = resolve(w, WASI_ARG32(0), WASI_RIGHT_PATH_UNLINK_FILE, WASI_ARG32(1),
                         WASI_ARG32(2), false, NULL, &p);
    if (e) return e;
    struct stat st;
    if (p.trailing_slash) /* "file/" names a directory that is not there */
        e = fstatat(p.dir, p.name, &st, AT_SYMLINK_NOFOLLOW) != 0 ? wasi_errno(errno)
            : S_ISDIR(st.st_mode)                                ? WASI_EISDIR
                                                                 : WASI_ENOTDIR;
    else
        e = result(unlinkat(p.dir, p.name, 0));
    wasi_path_close(&p);
    return e;
}

uint16_t wasi_path_filestat_get(wasmc_wasi *w, const wasmc_value *a) {
    wasi_path p;
    if (!wasi_mem(w, WASI_ARG32(4), 64)) return WASI_EFAULT;
    wasi_fd *dir;
    uint32_t node;
    uint16_t e;
    if (resolve_embedded(w, WASI_ARG32(0), WASI_RIGHT_PATH_FILESTAT_GET, WASI_ARG32(2), WASI_ARG32(3), &dir, &node, &e))
        return e ? e : wasi_embedded_filestat(w, node, WASI_ARG32(4));
    e = resolve(w, WASI_ARG32(0), WASI_RIGHT_PATH_FILESTAT_GET, WASI_ARG32(2),
                         WASI_ARG32(3), WASI_ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, NULL, &p);
    if (e) return e;
    struct stat st;
    e = result(fstatat(p.dir, p.name, &st, AT_SYMLINK_NOFOLLOW));
    if (!e && p.trailing_slash && !S_ISDIR(st.st_mode)) e = WASI_ENOTDIR;
    wasi_path_close(&p);
    return e ? e : wasi_put_filestat(w, WASI_ARG32(4), &st);
}

uint16_t wasi_path_filestat_set_times(wasmc_wasi *w, const wasmc_value *a) {
    struct timespec ts[2];
    uint16_t e = wasi_timespecs(WASI_ARG64(4), WASI_ARG64(5), WASI_ARG32(6), ts);
    if (e) return e;
    wasi_path p;
    e = resolve(w, WASI_ARG32(0), WASI_RIGHT_PATH_FILESTAT_SET_TIMES, WASI_ARG32(2), WASI_ARG32(3),
                WASI_ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, NULL, &p);
    if (e) return e;
    struct stat st;
    if (p.trailing_slash && fstatat(p.dir, p.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        e = WASI_ENOTDIR; /* "file/" names a directory that is not there */
    else
        e = result(utimensat(p.dir, p.name, ts, AT_SYMLINK_NOFOLLOW));
    wasi_path_close(&p);
    return e;
}

uint16_t wasi_path_readlink(wasmc_wasi *w, const wasmc_value *a) {
    uint32_t len = WASI_ARG32(4);
    char *buf = (char *)wasi_mem(w, WASI_ARG32(3), len);
    if (!buf || !wasi_mem(w, WASI_ARG32(5), 4)) return WASI_EFAULT;
    wasi_path p;
    uint16_t e = resolve(w, WASI_ARG32(0), WASI_RIGHT_PATH_READLINK, WASI_ARG32(1), WASI_ARG32(2),
                         false, NULL, &p);
    if (e) return e;
    struct stat st;
    ssize_t n = 0;
    if (p.trailing_slash) /* "x/" names what x leads to, a directory or ENOTDIR, never a link */
        e = fstatat(p.dir, p.name, &st, 0) != 0 ? wasi_errno(errno) : S_ISDIR(st.st_mode) ? WASI_EINVAL : WASI_ENOTDIR;
    else if ((n = readlinkat(p.dir, p.name, buf, len)) < 0)
        e = wasi_errno(errno);
    wasi_path_close(&p);
    return e ? e : wasi_put32(w, WASI_ARG32(5), (uint32_t)n);
}

uint16_t wasi_path_symlink(wasmc_wasi *w, const wasmc_value *a) {
    /* The link's text is stored as given: what a relative one points to is checked when it is
     * followed. An absolute target is refused here: it could only ever point outside the
     * sandbox (as Wasmtime refuses it, with EPERM; ENOTCAPABLE here, as for every escape). */
    uint32_t tlen = WASI_ARG32(1);
    const char *target = (const char *)wasi_mem(w, WASI_ARG32(0), tlen);
    if (!target) return WASI_EFAULT;
    if (tlen > 0 && target[0] == '/') return WASI_ENOTCAPABLE;
    if (tlen >= PATH_MAX) return WASI_ENAMETOOLONG;
    if (memchr(target, '\0', tlen)) return WASI_EILSEQ;
    char text[PATH_MAX];
    memcpy(text, target, tlen);
    text[tlen] = '\0';
    wasi_path p;
    uint16_t e = resolve(w, WASI_ARG32(2), WASI_RIGHT_PATH_SYMLINK, WASI_ARG32(3), WASI_ARG32(4),
                         false, NULL, &p);
    if (e) return e;
    e = p.trailing_slash ? WASI_ENOENT : result(symlinkat(text, p.dir, p.name));
    wasi_path_close(&p);
    return e;
}

uint16_t wasi_path_link(wasmc_wasi *w, const wasmc_value *a) {
    wasi_path from, to;
    uint16_t e = resolve(w, WASI_ARG32(0), WASI_RIGHT_PATH_LINK_SOURCE, WASI_ARG32(2),
                         WASI_ARG32(3), WASI_ARG32(1) & WASI_LOOKUP_SYMLINK_FOLLOW, NULL, &from);
    if (e) return e;
    e = resolve(w, WASI_ARG32(4), WASI_RIGHT_PATH_LINK_TARGET, WASI_ARG32(5), WASI_ARG32(6), false,
                NULL, &to);
    if (!e) {
        /* Trailing slashes ask for directories, which cannot be linked: "file/" is ENOTDIR
         * (a directory is EPERM, from the host), a new name "link/" ENOENT (EEXIST if taken). */
        struct stat st;
        if (from.trailing_slash && fstatat(from.dir, from.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
            e = WASI_ENOTDIR;
        else if (to.trailing_slash)
            e = fstatat(to.dir, to.name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? WASI_EEXIST : WASI_ENOENT;
        else
            e = result(linkat(from.dir, from.name, to.dir, to.name, 0));
        wasi_path_close(&to);
    }
    wasi_path_close(&from);
    return e;
}

uint16_t wasi_path_rename(wasmc_wasi *w, const wasmc_value *a) {
    wasi_path from, to;
    uint16_t e = resolve(w, WASI_ARG32(0), WASI_RIGHT_PATH_RENAME_SOURCE, WASI_ARG32(1),
                         WASI_ARG32(2), false, NULL, &from);
    if (e) return e;
    e = resolve(w, WASI_ARG32(3), WASI_RIGHT_PATH_RENAME_TARGET, WASI_ARG32(4), WASI_ARG32(5), false,
                NULL, &to);
    if (!e) {
        struct stat st;
        /* A trailing slash on either side asks for a directory. */
        if ((from.trailing_slash || to.trailing_slash) &&
            fstatat(from.dir, from.name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
            e = WASI_ENOTDIR;
        else
            e = result(renameat(from.dir, from.name, to.dir, to.name));
        wasi_path_close(&to);
    }
    wasi_path_close(&from);
    return e;
}
