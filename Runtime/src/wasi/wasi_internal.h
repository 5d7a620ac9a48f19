/* wasi_internal.h: what the WASI files share: the context, the fd table, guest memory access,
 * WASI's constants and the sandboxed path resolver. Not installed; the public contract is
 * include/wasmc_wasi.h. Constants and layouts follow the preview1 witx
 * (https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md). */
#ifndef WASMC_WASI_INTERNAL_H
#define WASMC_WASI_INTERNAL_H

#include "wasmc_wasi.h"
#include "../internal.h"

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "guest memory is little endian; this WASI host assumes a little-endian host"
#endif

#pragma GCC visibility push(hidden)

/* Fills `error` (may be NULL) like the rest of the runtime (rt_fail) and evaluates to -1, for
 * `return wasi_fail(...)` in functions that report failure as -1. */
#define wasi_fail(error, kind, trap, ...) (rt_fail((error), (kind), (trap), __VA_ARGS__), -1)

/* ---- errno (wasi_errno_t) ------------------------------------------------------------ */

enum {
    WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EADDRINUSE = 3,
    WASI_EADDRNOTAVAIL = 4, WASI_EAFNOSUPPORT = 5, WASI_EAGAIN = 6, WASI_EALREADY = 7,
    WASI_EBADF = 8, WASI_EBADMSG = 9, WASI_EBUSY = 10, WASI_ECANCELED = 11, WASI_ECHILD = 12,
    WASI_ECONNABORTED = 13, WASI_ECONNREFUSED = 14, WASI_ECONNRESET = 15, WASI_EDEADLK = 16,
    WASI_EDESTADDRREQ = 17, WASI_EDOM = 18, WASI_EDQUOT = 19, WASI_EEXIST = 20,
    WASI_EFAULT = 21, WASI_EFBIG = 22, WASI_EHOSTUNREACH = 23, WASI_EIDRM = 24,
    WASI_EILSEQ = 25, WASI_EINPROGRESS = 26, WASI_EINTR = 27, WASI_EINVAL = 28, WASI_EIO = 29,
    WASI_EISCONN = 30, WASI_EISDIR = 31, WASI_ELOOP = 32, WASI_EMFILE = 33, WASI_EMLINK = 34,
    WASI_EMSGSIZE = 35, WASI_EMULTIHOP = 36, WASI_ENAMETOOLONG = 37, WASI_ENETDOWN = 38,
    WASI_ENETRESET = 39, WASI_ENETUNREACH = 40, WASI_ENFILE = 41, WASI_ENOBUFS = 42,
    WASI_ENODEV = 43, WASI_ENOENT = 44, WASI_ENOEXEC = 45, WASI_ENOLCK = 46, WASI_ENOLINK = 47,
    WASI_ENOMEM = 48, WASI_ENOMSG = 49, WASI_ENOPROTOOPT = 50, WASI_ENOSPC = 51,
    WASI_ENOSYS = 52, WASI_ENOTCONN = 53, WASI_ENOTDIR = 54, WASI_ENOTEMPTY = 55,
    WASI_ENOTRECOVERABLE = 56, WASI_ENOTSOCK = 57, WASI_ENOTSUP = 58, WASI_ENOTTY = 59,
    WASI_ENXIO = 60, WASI_EOVERFLOW = 61, WASI_EOWNERDEAD = 62, WASI_EPERM = 63,
    WASI_EPIPE = 64, WASI_EPROTO = 65, WASI_EPROTONOSUPPORT = 66, WASI_EPROTOTYPE = 67,
    WASI_ERANGE = 68, WASI_EROFS = 69, WASI_ESPIPE = 70, WASI_ESRCH = 71, WASI_ESTALE = 72,
    WASI_ETIMEDOUT = 73, WASI_ETXTBSY = 74, WASI_EXDEV = 75, WASI_ENOTCAPABLE = 76,
};

/* The WASI errno for a host errno value. */
uint16_t wasi_errno(int host_errno);

/* ---- rights, flags, file types ------------------------------------------------------- */

#define WASI_RIGHT(n) ((uint64_t)1 << (n))
#define WASI_RIGHT_FD_DATASYNC WASI_RIGHT(0)
#define WASI_RIGHT_FD_READ WASI_RIGHT(1)
#define WASI_RIGHT_FD_SEEK WASI_RIGHT(2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS WASI_RIGHT(3)
#define WASI_RIGHT_FD_SYNC WASI_RIGHT(4)
#define WASI_RIGHT_FD_TELL WASI_RIGHT(5)
#define WASI_RIGHT_FD_WRITE WASI_RIGHT(6)
#define WASI_RIGHT_FD_ADVISE WASI_RIGHT(7)
#define WASI_RIGHT_FD_ALLOCATE WASI_RIGHT(8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY WASI_RIGHT(9)
#define WASI_RIGHT_PATH_CREATE_FILE WASI_RIGHT(10)
#define WASI_RIGHT_PATH_LINK_SOURCE WASI_RIGHT(11)
#define WASI_RIGHT_PATH_LINK_TARGET WASI_RIGHT(12)
#define WASI_RIGHT_PATH_OPEN WASI_RIGHT(13)
#define WASI_RIGHT_FD_READDIR WASI_RIGHT(14)
#define WASI_RIGHT_PATH_READLINK WASI_RIGHT(15)
#define WASI_RIGHT_PATH_RENAME_SOURCE WASI_RIGHT(16)
#define WASI_RIGHT_PATH_RENAME_TARGET WASI_RIGHT(17)
#define WASI_RIGHT_PATH_FILESTAT_GET WASI_RIGHT(18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE WASI_RIGHT(19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES WASI_RIGHT(20)
#define WASI_RIGHT_FD_FILESTAT_GET WASI_RIGHT(21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE WASI_RIGHT(22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES WASI_RIGHT(23)
#define WASI_RIGHT_PATH_SYMLINK WASI_RIGHT(24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY WASI_RIGHT(25)
#define WASI_RIGHT_PATH_UNLINK_FILE WASI_RIGHT(26)
#define WASI_RIGHT_POLL_FD_READWRITE WASI_RIGHT(27)
#define WASI_RIGHT_SOCK_SHUTDOWN WASI_RIGHT(28)
#define WASI_RIGHT_SOCK_ACCEPT WASI_RIGHT(29)

/* What an fd of each kind can do at most. A preopen gets WASI_RIGHTS_DIR as its base rights
 * and everything as inheriting rights; path_open narrows from there. */
#define WASI_RIGHTS_FILE                                                                     \
    (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |                     \
     WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL |             \
     WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE |                  \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_SIZE |                         \
     WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_DIR                                                                      \
    (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_ADVISE |           \
     WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE |                       \
     WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN |     \
     WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE |     \
     WASI_RIGHT_PATH_RENAME_TARGET | WASI_RIGHT_PATH_FILESTAT_GET |                         \
     WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |               \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK | \
     WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE |                       \
     WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_SOCKET                                                                   \
    (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |            \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_SHUTDOWN | \
     WASI_RIGHT_SOCK_ACCEPT)
#define WASI_RIGHTS_ALL (WASI_RIGHT(30) - 1)

enum {
    WASI_FILETYPE_UNKNOWN = 0, WASI_FILETYPE_BLOCK_DEVICE = 1, WASI_FILETYPE_CHARACTER_DEVICE = 2,
    WASI_FILETYPE_DIRECTORY = 3, WASI_FILETYPE_REGULAR_FILE = 4, WASI_FILETYPE_SOCKET_DGRAM = 5,
    WASI_FILETYPE_SOCKET_STREAM = 6, WASI_FILETYPE_SYMBOLIC_LINK = 7,
};

enum { /* fdflags */
    WASI_FDFLAG_APPEND = 1, WASI_FDFLAG_DSYNC = 2, WASI_FDFLAG_NONBLOCK = 4,
    WASI_FDFLAG_RSYNC = 8, WASI_FDFLAG_SYNC = 16,
};
enum { /* oflags */
    WASI_O_CREAT = 1, WASI_O_DIRECTORY = 2, WASI_O_EXCL = 4, WASI_O_TRUNC = 8,
};
enum { /* fstflags */
    WASI_FST_ATIM = 1, WASI_FST_ATIM_NOW = 2, WASI_FST_MTIM = 4, WASI_FST_MTIM_NOW = 8,
};
#define WASI_LOOKUP_SYMLINK_FOLLOW 1u

/* ---- the context --------------------------------------------------------------------- */

/* The `host` of an fd for a file or directory of an embedded directory (embedded.c). */
#define WASI_EMBEDDED (-2)

/* One guest file descriptor. */
typedef struct wasi_fd {
    int host;          /* the host fd; -1 for a free slot; WASI_EMBEDDED */
    uint8_t filetype;  /* WASI_FILETYPE_* */
    uint64_t rights, inheriting;
    char *preopen;     /* the guest name of a preopened directory, else NULL */
    DIR *dir;          /* fd_readdir's stream (on its own open file description), lazily made */
    uint64_t dir_pos;  /* index of the entry `dir` reads next; cookies are entry indices */
    uint32_t node;     /* WASI_EMBEDDED: the module's embedded file entry */
    uint64_t position; /* WASI_EMBEDDED files: where fd_read reads next */
} wasi_fd;

struct wasmc_wasi {
    uint32_t refcount; /* the embedder's + one per host function made by wasmc_wasi_imports */
    char **argv, **env;
    uint32_t argc, envc;
    uint32_t argv_bytes, env_bytes; /* the strings' sizes with their NULs */
    wasi_fd *fds;
    uint32_t nfds;
    wasmc_memory *memory; /* of the bound instance, or NULL */
    int exited, exit_code; /* set by proc_exit */
    wasmc_module *embedded; /* whose embedded directories the guest sees (retained), or NULL */
    wasmc_host_func **funcs; /* made by wasmc_wasi_imports; released by wasmc_wasi_delete */
    uint32_t nfuncs, capfuncs;
};

void wasi_retain(wasmc_wasi *w);
void wasi_release(wasmc_wasi *w);

/* The open fd `fd`, or NULL. */
wasi_fd *wasi_slot(wasmc_wasi *w, uint32_t fd);
/* Looks `fd` up and checks its rights: 0 with *out set, EBADF, or ENOTCAPABLE. */
uint16_t wasi_lookup(wasmc_wasi *w, uint32_t fd, uint64_t rights, wasi_fd **out);
/* Installs a host fd in the lowest free slot: 0 with *fd set, or an errno (the host fd is closed
 * on failure). */
uint16_t wasi_install(wasmc_wasi *w, int host, uint8_t filetype, uint64_t rights,
                         uint64_t inheriting, uint32_t *fd);
void wasi_slot_close(wasi_fd *f);
/* The WASI file type of a host st_mode. */
uint8_t wasi_filetype(unsigned mode);
/* The WASI file type of an open host fd (sockets told apart as stream or datagram). */
uint8_t wasi_host_filetype(int host);

/* ---- guest memory -------------------------------------------------------------------- */

/* The host address of guest bytes [ptr, ptr + len), or NULL when they are not all inside the
 * bound memory (the size is read now: memory.grow may have changed it). */
static inline uint8_t *wasi_mem(const wasmc_wasi *w, uint32_t ptr, uint64_t len) {
    const wasmc_memory *m = w->memory;
    if (!m || (uint64_t)ptr + len > m->size) return NULL;
    return m->base + ptr;
}

static inline uint32_t wasi_load32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint64_t wasi_load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline void wasi_store16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void wasi_store32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void wasi_store64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Stores a u32/u64 result at a guest address: 0 or EFAULT. */
uint16_t wasi_put32(wasmc_wasi *w, uint32_t ptr, uint32_t v);
uint16_t wasi_put64(wasmc_wasi *w, uint32_t ptr, uint64_t v);

/* Turns a guest iovec array into host iovecs (each buffer bounds-checked): 0, EFAULT, or EINVAL
 * for more than WASI_IOV_MAX entries (checked before any is written). `iov` must have room for
 * `count` entries when count <= WASI_IOV_MAX. */
#define WASI_IOV_MAX 1024
struct iovec;
uint16_t wasi_iovecs(wasmc_wasi *w, uint32_t iovs, uint32_t count, struct iovec *iov);

/* Writes a 64-byte filestat for a host stat at guest address `ptr`. */
struct stat;
uint16_t wasi_put_filestat(wasmc_wasi *w, uint32_t ptr, const struct stat *st);

/* The futimens/utimensat times for WASI's (atim, mtim, fstflags): 0 or EINVAL. */
uint16_t wasi_timespecs(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec ts[2]);

/* ---- sandboxed paths (resolve.c) ----------------------------------------------------- */

/* A resolved guest path: the directory holding its last component, and that component. */
typedef struct wasi_path {
    int dir;          /* a host fd of the directory */
    bool owned;       /* whether `dir` is ours to close (else it is the starting fd) */
    bool trailing_slash; /* the path ended in '/': the last component must be a directory */
    char name[256];   /* the last component: never empty, never "..", no '/' */
} wasi_path;

/* Resolves the guest path bytes [path, path + len) from the directory `dirfd` without leaving
 * it: absolute paths, `..` above `dirfd` and symbolic links whose targets are absolute or climb
 * out give ENOTCAPABLE. Intermediate symbolic links are always followed (by the resolver, not the
 * kernel); the last component's only when `follow`. Returns 0, or an errno. */
uint16_t wasi_resolve(int dirfd, const char *path, size_t len, bool follow, wasi_path *out);
void wasi_path_close(wasi_path *p);

/* ---- embedded directories (embedded.c) ---------------------------------------------- */

/* What an fd of an embedded directory may do: read. Its directories also hold the rights of
 * the path operations that change things, and pass on the rights of writing to a file, so
 * that a program asking for them (wasi-libc asks for what the directory passes on) is told
 * EROFS, as a read-only file system tells it, not that it lacks a capability. */
#define WASI_RIGHTS_EMBEDDED_FILE                                                            \
    (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_ADVISE |  \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_EMBEDDED_WRITES                                                          \
    (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_ALLOCATE |                \
     WASI_RIGHT_FD_FILESTAT_SET_SIZE)
#define WASI_RIGHTS_EMBEDDED_DIR                                                             \
    (WASI_RIGHT_PATH_OPEN | WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_FILESTAT_GET |          \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_PATH_CREATE_DIRECTORY |                        \
     WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | \
     WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE | WASI_RIGHT_PATH_RENAME_TARGET | \
     WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |               \
     WASI_RIGHT_PATH_SYMLINK | WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)
#define WASI_RIGHTS_EMBEDDED_INHERITING                                                      \
    (WASI_RIGHTS_EMBEDDED_DIR | WASI_RIGHTS_EMBEDDED_FILE | WASI_RIGHTS_EMBEDDED_WRITES)

/* Installs the module's embedded directories as preopens: 0 or an errno. */
uint16_t wasi_embedded_preopen(wasmc_wasi *w);
/* The embedded-file counterparts of the fd and path functions, for an fd whose host is
 * WASI_EMBEDDED (rights already checked). */
uint16_t wasi_embedded_transfer(wasmc_wasi *w, wasi_fd *f, const struct iovec *iov, uint32_t n,
                                bool positioned, uint64_t offset, uint32_t *done);
/* What poll_oneoff reports readable: the bytes after the position (0 for a directory). */
uint64_t wasi_embedded_readable(const wasmc_wasi *w, const wasi_fd *f);
uint16_t wasi_embedded_seek(wasi_fd *f, const wasmc_wasi *w, int64_t offset, uint32_t whence, uint64_t *at);
uint16_t wasi_embedded_filestat(wasmc_wasi *w, uint32_t node, uint32_t ptr);
uint16_t wasi_embedded_readdir(wasmc_wasi *w, wasi_fd *f, uint8_t *buf, uint32_t len, uint64_t cookie,
                               uint32_t *used);
/* Resolves a guest path in the embedded directory `dir` (as wasi_resolve does on the host): 0
 * with *node set, or an errno. */
uint16_t wasi_embedded_resolve(const wasmc_wasi *w, const wasi_fd *dir, const char *path, size_t len,
                               uint32_t *node);
uint16_t wasi_embedded_open(wasmc_wasi *w, const wasi_fd *dir, uint32_t node, uint32_t oflags, uint64_t base,
                            uint64_t inheriting, uint32_t *fd);

/* ---- the functions ------------------------------------------------------------------- */

/* Every function takes the context and its wasm arguments, and returns a WASI errno;
 * proc_exit returns WASI_EXIT instead, which unwinds the guest. */
#define WASI_EXIT 0xffffu
typedef uint16_t (*wasi_impl)(wasmc_wasi *w, const wasmc_value *a);

#define WASI_ARG32(n) ((uint32_t)a[n].i32)
#define WASI_ARG64(n) ((uint64_t)a[n].i64)

#define WASI_FUNCTIONS(X)                                                                     \
    X(args_get, "ii") X(args_sizes_get, "ii") X(environ_get, "ii")                            \
    X(environ_sizes_get, "ii") X(clock_res_get, "ii") X(clock_time_get, "iIi")                \
    X(fd_advise, "iIIi") X(fd_allocate, "iII") X(fd_close, "i") X(fd_datasync, "i")           \
    X(fd_fdstat_get, "ii") X(fd_fdstat_set_flags, "ii") X(fd_fdstat_set_rights, "iII")        \
    X(fd_filestat_get, "ii") X(fd_filestat_set_size, "iI") X(fd_filestat_set_times, "iIIi")   \
    X(fd_pread, "iiiIi") X(fd_prestat_get, "ii") X(fd_prestat_dir_name, "iii")                \
    X(fd_pwrite, "iiiIi") X(fd_read, "iiii") X(fd_readdir, "iiiIi") X(fd_renumber, "ii")      \
    X(fd_seek, "iIii") X(fd_sync, "i") X(fd_tell, "ii") X(fd_write, "iiii")                   \
    X(path_create_directory, "iii") X(path_filestat_get, "iiiii")                             \
    X(path_filestat_set_times, "iiiiIIi") X(path_link, "iiiiiii")                             \
    X(path_open, "iiiiiIIii") X(path_readlink, "iiiiii") X(path_remove_directory, "iii")      \
    X(path_rename, "iiiiii") X(path_symlink, "iiiii") X(path_unlink_file, "iii")              \
    X(poll_oneoff, "iiii") X(proc_exit, "i") X(proc_raise, "i") X(sched_yield, "")            \
    X(random_get, "ii") X(sock_accept, "iii") X(sock_recv, "iiiiii") X(sock_send, "iiiii")    \
    X(sock_shutdown, "ii")

#define WASI_DECLARE(name, params) uint16_t wasi_##name(wasmc_wasi *w, const wasmc_value *a);
WASI_FUNCTIONS(WASI_DECLARE)
#undef WASI_DECLARE

#pragma GCC visibility pop

#endif
