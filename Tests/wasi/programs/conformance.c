/* Probes of the fd_* and path_* functions, called directly, for a comparison with Wasmtime
 * (scripts/test-wasi runs this under both, each in a fresh empty preopen "."): each line names
 * a call and the errno it returned (0: success), with what it read where that is deterministic.
 * The cases follow those of the wasi-testsuite's Rust tests (path_link, path_symlink,
 * path_open with directories and rights, trailing slashes, dangling links, rename, unlink,
 * remove_directory, readlink, fd operations on directories and on closed or renumbered fds). */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static const __wasi_fd_t root = 3;
/* Every right WASI preview1 defines (bits 0 to 29; Wasmtime refuses bits beyond). */
static const __wasi_rights_t all_rights = ((__wasi_rights_t)1 << 30) - 1;

static void show(const char *what, int e) { printf("%-60s %d\n", what, e); }

/* path_open from the root; the fd, or -1 with the errno shown. */
static int open_at(const char *what, __wasi_fd_t dir, __wasi_lookupflags_t lookup, const char *path,
                   __wasi_oflags_t oflags, __wasi_rights_t rights, __wasi_fdflags_t fdflags) {
    __wasi_fd_t fd = 0;
    int e = __wasi_path_open(dir, lookup, path, oflags, rights, rights, fdflags, &fd);
    show(what, e);
    return e ? -1 : (int)fd;
}

static void close_fd(int fd) {
    if (fd >= 0 && __wasi_fd_close((__wasi_fd_t)fd)) printf("fd_close failed\n");
}

static void put(const char *path, const char *text) {
    int fd = open_at(path, root, 0, path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, all_rights, 0);
    if (fd < 0) return;
    __wasi_ciovec_t iov = {(const uint8_t *)text, strlen(text)};
    size_t n;
    if (__wasi_fd_write((__wasi_fd_t)fd, &iov, 1, &n)) printf("writing %s failed\n", path);
    close_fd(fd);
}

static void filetype(const char *what, __wasi_lookupflags_t lookup, const char *path) {
    __wasi_filestat_t st;
    int e = __wasi_path_filestat_get(root, lookup, path, &st);
    printf("%-60s %d", what, e);
    if (!e) printf(" type %d size %llu", st.filetype, (unsigned long long)(st.filetype == __WASI_FILETYPE_REGULAR_FILE ? st.size : 0));
    printf("\n");
}

static void readlink_(const char *what, const char *path) {
    char buf[64];
    size_t n = 0;
    int e = __wasi_path_readlink(root, path, (uint8_t *)buf, sizeof buf, &n);
    printf("%-60s %d", what, e);
    if (!e) printf(" [%.*s]", (int)n, buf);
    printf("\n");
}

int main(void) {
    const __wasi_rights_t rw = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE;
    put("file", "hello");
    show("path_create_directory dir", __wasi_path_create_directory(root, "dir"));
    put("dir/inner", "inner");
    show("path_create_directory empty", __wasi_path_create_directory(root, "empty"));

    /* path_open: directories, trailing slashes, flags and rights */
    close_fd(open_at("open file/", root, 0, "file/", 0, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open file O_DIRECTORY", root, 0, "file", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open dir O_DIRECTORY, read+write rights", root, 0, "dir", __WASI_OFLAGS_DIRECTORY, rw, 0));
    close_fd(open_at("open dir O_DIRECTORY, write right", root, 0, "dir", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_WRITE, 0));
    close_fd(open_at("open dir O_DIRECTORY, readdir right", root, 0, "dir", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0));
    close_fd(open_at("open dir O_DIRECTORY, read right", root, 0, "dir", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open dir/, read+write rights", root, 0, "dir/", 0, rw, 0));
    close_fd(open_at("open dir, write right", root, 0, "dir", 0, __WASI_RIGHTS_FD_WRITE, 0));
    close_fd(open_at("open dir/, no rights", root, 0, "dir/", 0, 0, 0));
    close_fd(open_at("open missing", root, 0, "missing", 0, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open missing/ O_CREAT", root, 0, "missing/", __WASI_OFLAGS_CREAT, rw, 0));
    close_fd(open_at("open file/ O_CREAT", root, 0, "file/", __WASI_OFLAGS_CREAT, rw, 0));
    close_fd(open_at("open dir/ O_CREAT, read right", root, 0, "dir/", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open new O_CREAT|O_DIRECTORY", root, 0, "new", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, rw, 0));
    close_fd(open_at("open file O_CREAT|O_EXCL", root, 0, "file", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, rw, 0));
    close_fd(open_at("open dir O_CREAT|O_EXCL", root, 0, "dir", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, rw, 0));
    close_fd(open_at("open empty path", root, 0, "", 0, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open /file (absolute)", root, 0, "/file", 0, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open ..", root, 0, "..", __WASI_OFLAGS_DIRECTORY, 0, 0));
    close_fd(open_at("open dir/.. ", root, 0, "dir/..", __WASI_OFLAGS_DIRECTORY, 0, 0));
    close_fd(open_at("open dir/../..", root, 0, "dir/../..", __WASI_OFLAGS_DIRECTORY, 0, 0));
    close_fd(open_at("open dir/./inner", root, 0, "dir/./inner", 0, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open fd 99", 99, 0, "file", 0, __WASI_RIGHTS_FD_READ, 0));
    int file = open_at("open file, all rights", root, 0, "file", 0, all_rights, 0);
    close_fd(open_at("open relative to a file fd", (__wasi_fd_t)file, 0, "x", 0, 0, 0));

    /* rights: preview1 gives each fd rights, which wasmc enforces and Wasmtime no longer does
     * (Tests/wasi/wasmtime-differences.txt); on a file of their own, "r" */
    put("r", "rights");
    int bare = open_at("open r, no rights", root, 0, "r", 0, 0, 0);
    if (bare >= 0) {
        char buf[8];
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
        __wasi_ciovec_t ciov = {(const uint8_t *)buf, 1};
        size_t n;
        show("fd_read without the right", __wasi_fd_read((__wasi_fd_t)bare, &iov, 1, &n));
        show("fd_write without the right", __wasi_fd_write((__wasi_fd_t)bare, &ciov, 1, &n));
        show("fd_filestat_set_size without the right", __wasi_fd_filestat_set_size((__wasi_fd_t)bare, 0));
        close_fd(bare);
    }
    close_fd(open_at("open r O_TRUNC, read right only", root, 0, "r", __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_READ, 0));
    int dropped = open_at("open r read+write", root, 0, "r", 0, rw, 0);
    if (dropped >= 0) {
        show("fd_fdstat_set_rights: drop write", __wasi_fd_fdstat_set_rights((__wasi_fd_t)dropped, __WASI_RIGHTS_FD_READ, 0));
        show("fd_fdstat_set_rights: add write back", __wasi_fd_fdstat_set_rights((__wasi_fd_t)dropped, rw, 0));
        __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
        size_t n;
        show("fd_write after dropping the right", __wasi_fd_write((__wasi_fd_t)dropped, &ciov, 1, &n));
        close_fd(dropped);
    }

    /* fd_* on a directory */
    int dir = open_at("open dir O_DIRECTORY, all but the writing rights", root, 0, "dir", __WASI_OFLAGS_DIRECTORY,
                      all_rights & ~(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_ALLOCATE |
                                     __WASI_RIGHTS_FD_FILESTAT_SET_SIZE), 0);
    if (dir >= 0) {
        char buf[8];
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
        __wasi_ciovec_t ciov = {(const uint8_t *)buf, 1};
        size_t n;
        __wasi_filesize_t at;
        show("fd_read on a directory", __wasi_fd_read((__wasi_fd_t)dir, &iov, 1, &n));
        show("fd_write on a directory", __wasi_fd_write((__wasi_fd_t)dir, &ciov, 1, &n));
        show("fd_pread on a directory", __wasi_fd_pread((__wasi_fd_t)dir, &iov, 1, 0, &n));
        show("fd_seek on a directory", __wasi_fd_seek((__wasi_fd_t)dir, 0, __WASI_WHENCE_CUR, &at));
        show("fd_filestat_set_size on a directory", __wasi_fd_filestat_set_size((__wasi_fd_t)dir, 0));
        show("fd_allocate on a directory", __wasi_fd_allocate((__wasi_fd_t)dir, 0, 1));
        close_fd(dir);
    }
    if (file >= 0) {
        uint8_t buf[64];
        size_t n;
        __wasi_filesize_t at;
        show("fd_readdir on a file", __wasi_fd_readdir((__wasi_fd_t)file, buf, sizeof buf, 0, &n));
        show("fd_seek to -1", __wasi_fd_seek((__wasi_fd_t)file, -1, __WASI_WHENCE_SET, &at));
        show("fd_filestat_set_times SET and NOW", __wasi_fd_filestat_set_times((__wasi_fd_t)file, 1, 1,
             __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    }

    /* path_link */
    show("path_link file -> link", __wasi_path_link(root, 0, "file", root, "link"));
    show("path_link file -> link (exists)", __wasi_path_link(root, 0, "file", root, "link"));
    show("path_link file -> file", __wasi_path_link(root, 0, "file", root, "file"));
    show("path_link file -> dir", __wasi_path_link(root, 0, "file", root, "dir"));
    show("path_link dir -> dlink", __wasi_path_link(root, 0, "dir", root, "dlink"));
    show("path_link file -> link2/", __wasi_path_link(root, 0, "file", root, "link2/"));
    show("path_link file/ -> link3", __wasi_path_link(root, 0, "file/", root, "link3"));
    show("path_link missing -> link4", __wasi_path_link(root, 0, "missing", root, "link4"));
    show("path_link file -> dir/link", __wasi_path_link(root, 0, "file", root, "dir/link"));
    show("path_link file -> ../link", __wasi_path_link(root, 0, "file", root, "../link"));
    show("path_link file -> dir/ (exists)", __wasi_path_link(root, 0, "file", root, "dir/"));
    show("path_link dir/ -> dlink2", __wasi_path_link(root, 0, "dir/", root, "dlink2"));

    /* path_symlink and readlink */
    show("path_symlink file -> sl", __wasi_path_symlink("file", root, "sl"));
    show("path_symlink file -> sl (exists)", __wasi_path_symlink("file", root, "sl"));
    show("path_symlink file -> file", __wasi_path_symlink("file", root, "file"));
    show("path_symlink x -> sl2/", __wasi_path_symlink("x", root, "sl2/"));
    show("path_symlink /etc/passwd -> abs", __wasi_path_symlink("/etc/passwd", root, "abs"));
    show("path_symlink / -> abs2", __wasi_path_symlink("/", root, "abs2"));
    show("path_symlink /file -> abs3 (inside, but absolute)", __wasi_path_symlink("/file", root, "abs3"));
    show("path_symlink target -> dangling", __wasi_path_symlink("target", root, "dangling"));
    show("path_symlink dir -> dirlink", __wasi_path_symlink("dir", root, "dirlink"));
    show("path_symlink loop -> loop", __wasi_path_symlink("loop", root, "loop"));
    show("path_symlink ../out -> up", __wasi_path_symlink("../out", root, "up"));
    show("path_symlink empty target -> e", __wasi_path_symlink("", root, "e"));
    readlink_("readlink sl", "sl");
    readlink_("readlink file", "file");
    readlink_("readlink missing", "missing");
    readlink_("readlink sl/", "sl/");
    readlink_("readlink dirlink/", "dirlink/");
    readlink_("readlink dangling/", "dangling/");
    filetype("filestat sl (follow)", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sl");
    filetype("filestat sl", 0, "sl");
    filetype("filestat dangling (follow)", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "dangling");
    filetype("filestat loop (follow)", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "loop");
    filetype("filestat file/", 0, "file/");
    filetype("filestat dirlink/", 0, "dirlink/");
    filetype("filestat missing", 0, "missing");
    show("path_link dangling -> dl2 (follow)",
         __wasi_path_link(root, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "dangling", root, "dl2"));
    show("path_link sl -> sl_link (follow)", __wasi_path_link(root, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sl", root, "sl_link"));
    close_fd(open_at("open sl, no follow", root, 0, "sl", 0, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open sl, follow", root, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sl", 0, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open dangling O_CREAT, follow", root, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "dangling",
                     __WASI_OFLAGS_CREAT, rw, 0));
    close_fd(open_at("open loop, follow", root, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "loop", 0, __WASI_RIGHTS_FD_READ, 0));
    close_fd(open_at("open dirlink/inner", root, 0, "dirlink/inner", 0, __WASI_RIGHTS_FD_READ, 0));
    show("path_link dangling -> dl (no follow)", __wasi_path_link(root, 0, "dangling", root, "dl"));
    show("path_link file -> dangling", __wasi_path_link(root, 0, "file", root, "dangling"));

    /* unlink, remove_directory, create_directory */
    show("path_unlink_file file/", __wasi_path_unlink_file(root, "file/"));
    show("path_unlink_file dir", __wasi_path_unlink_file(root, "dir"));
    show("path_unlink_file missing", __wasi_path_unlink_file(root, "missing"));
    show("path_unlink_file sl/", __wasi_path_unlink_file(root, "sl/"));
    show("path_unlink_file dirlink/", __wasi_path_unlink_file(root, "dirlink/"));
    show("path_remove_directory file", __wasi_path_remove_directory(root, "file"));
    show("path_remove_directory dir (not empty)", __wasi_path_remove_directory(root, "dir"));
    show("path_remove_directory missing", __wasi_path_remove_directory(root, "missing"));
    show("path_remove_directory dirlink", __wasi_path_remove_directory(root, "dirlink"));
    show("path_remove_directory .", __wasi_path_remove_directory(root, "."));
    show("path_create_directory dir", __wasi_path_create_directory(root, "dir"));
    show("path_create_directory file", __wasi_path_create_directory(root, "file"));
    show("path_create_directory sl", __wasi_path_create_directory(root, "sl"));
    show("path_create_directory missing/sub", __wasi_path_create_directory(root, "missing/sub"));
    show("path_create_directory new/", __wasi_path_create_directory(root, "new/"));

    /* rename */
    show("path_rename file -> dir", __wasi_path_rename(root, "file", root, "dir"));
    show("path_rename dir -> file", __wasi_path_rename(root, "dir", root, "file"));
    show("path_rename dir -> dir/sub", __wasi_path_rename(root, "dir", root, "dir/sub"));
    show("path_rename missing -> x", __wasi_path_rename(root, "missing", root, "x"));
    show("path_rename file/ -> x", __wasi_path_rename(root, "file/", root, "x"));
    show("path_rename file -> x/", __wasi_path_rename(root, "file", root, "x/"));
    show("path_rename dir -> new (a directory)", __wasi_path_rename(root, "dir", root, "new"));
    show("path_rename new -> empty (empty directory)", __wasi_path_rename(root, "new", root, "empty"));
    show("path_rename link -> file (same file)", __wasi_path_rename(root, "link", root, "file"));
    show("path_rename sl -> sl3", __wasi_path_rename(root, "sl", root, "sl3"));
    readlink_("readlink sl3", "sl3");

    /* fds: closed, renumbered, the preopen */
    if (file >= 0) {
        __wasi_fdstat_t st;
        int other = open_at("open link", root, 0, "link", 0, __WASI_RIGHTS_FD_READ, 0);
        if (other >= 0) {
            show("fd_renumber file -> link's fd", __wasi_fd_renumber((__wasi_fd_t)file, (__wasi_fd_t)other));
            show("fd_fdstat_get of the renumbered fd", __wasi_fd_fdstat_get((__wasi_fd_t)other, &st));
            show("fd_fdstat_get of the old fd", __wasi_fd_fdstat_get((__wasi_fd_t)file, &st));
            close_fd(other);
        }
        show("fd_renumber 99 -> 3", __wasi_fd_renumber(99, root));
        show("fd_close 99", __wasi_fd_close(99));
    }
    /* reading and writing at offsets, appending, syncing, times */
    int f = open_at("open pos O_CREAT, all rights", root, 0, "pos", __WASI_OFLAGS_CREAT, all_rights, 0);
    if (f >= 0) {
        __wasi_fd_t fd = (__wasi_fd_t)f;
        char buf[16] = {0};
        __wasi_ciovec_t ciov = {(const uint8_t *)"abcdef", 6};
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
        size_t n = 0;
        __wasi_filesize_t at = 0;
        __wasi_filestat_t st;
        __wasi_fdstat_t fst;
        show("fd_pwrite at 4", __wasi_fd_pwrite(fd, &ciov, 1, 4, &n));
        int e = __wasi_fd_tell(fd, &at);
        printf("%-60s %d at %llu\n", "fd_tell after pwrite", e, (unsigned long long)at);
        e = __wasi_fd_pread(fd, &iov, 1, 2, &n);
        printf("%-60s %d n %zu [%02x %02x %.4s]\n", "fd_pread at 2", e, n, (unsigned char)buf[0], (unsigned char)buf[1], buf + 2);
        e = __wasi_fd_filestat_get(fd, &st);
        printf("%-60s %d size %llu type %d\n", "fd_filestat_get", e, (unsigned long long)st.size, st.filetype);
        show("fd_fdstat_set_flags APPEND", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
        e = __wasi_fd_fdstat_get(fd, &fst);
        printf("%-60s %d flags %d type %d\n", "fd_fdstat_get", e, fst.fs_flags, fst.fs_filetype);
        show("fd_seek to 0", __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &at));
        show("fd_write (appends)", __wasi_fd_write(fd, &ciov, 1, &n));
        e = __wasi_fd_filestat_get(fd, &st);
        printf("%-60s %d size %llu\n", "fd_filestat_get after the append", e, (unsigned long long)st.size);
        show("fd_filestat_set_size 3", __wasi_fd_filestat_set_size(fd, 3));
        e = __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &at);
        printf("%-60s %d at %llu\n", "fd_seek to the end", e, (unsigned long long)at);
        show("fd_sync", __wasi_fd_sync(fd));
        show("fd_datasync", __wasi_fd_datasync(fd));
        show("fd_advise DONTNEED", __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_DONTNEED));
        show("fd_filestat_set_times MTIM 1 s", __wasi_fd_filestat_set_times(fd, 0, 1000000000ull, __WASI_FSTFLAGS_MTIM));
        e = __wasi_path_filestat_get(root, 0, "pos", &st);
        printf("%-60s %d mtim %llu size %llu\n", "path_filestat_get pos", e, (unsigned long long)st.mtim, (unsigned long long)st.size);
        show("path_filestat_set_times missing", __wasi_path_filestat_set_times(root, 0, "missing", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
        show("path_filestat_set_times pos/", __wasi_path_filestat_set_times(root, 0, "pos/", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
        show("path_filestat_set_times MTIM and MTIM_NOW",
             __wasi_path_filestat_set_times(root, 0, "pos", 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW));
        close_fd(f);
        show("fd_pwrite on a closed fd", __wasi_fd_pwrite(fd, &ciov, 1, 0, &n));
    }

    int a = open_at("open alloc O_CREAT, all rights", root, 0, "alloc", __WASI_OFLAGS_CREAT, all_rights, 0);
    if (a >= 0) {
        show("fd_allocate 0..10", __wasi_fd_allocate((__wasi_fd_t)a, 0, 10));
        close_fd(a);
    }

    /* the preopen itself */
    __wasi_prestat_t pre;
    show("fd_prestat_get 3", __wasi_fd_prestat_get(root, &pre));
    show("path_remove_directory . (the preopen)", __wasi_path_remove_directory(root, "."));
    show("fd_close 3 (the preopen)", __wasi_fd_close(root));
    show("fd_prestat_get 3 after closing it", __wasi_fd_prestat_get(root, &pre));
    return 0;
}
