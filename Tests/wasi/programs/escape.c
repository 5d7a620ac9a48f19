/* Sandbox escapes, all of which must be refused. Run with a directory preopened as "/" that
 * scripts/test-wasi prepares next to an `outside` directory holding `sentinel`:
 *   etc -> /etc                  abs -> <absolute path of outside/sentinel>
 *   up -> ..                     c1 -> c2, c2 -> sub/c3, sub/c3 -> ../../outside (a chain)
 *   sub/deep -> ../../../../../../../../etc
 *   dangling_out -> ../outside/created    abs_dangling -> <absolute path of outside/created2>
 *   updir -> sub/..              inside.txt, sub/
 * Prints "DENIED <what>" for each refused attempt and "ESCAPED <what>" otherwise, then the same
 * for guest pointers the host must refuse with EFAULT. Exits 1 if anything got through. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int escaped;

static void verdict(const char *what, int refused) {
    printf("%s %s\n", refused ? "DENIED" : "ESCAPED", what);
    if (!refused) escaped++;
}

/* An open that must fail. */
static void no_open(const char *path, int flags) {
    char what[160];
    snprintf(what, sizeof what, "open(\"%s\"%s)", path, flags & O_CREAT ? ", O_CREAT" : "");
    int fd = open(path, flags, 0644);
    if (fd >= 0) close(fd);
    verdict(what, fd < 0);
}

static void no_stat(const char *path) {
    char what[160];
    struct stat st;
    snprintf(what, sizeof what, "stat(\"%s\")", path);
    verdict(what, stat(path, &st) != 0);
}

static void no_opendir(const char *path) {
    char what[160];
    snprintf(what, sizeof what, "opendir(\"%s\")", path);
    DIR *d = opendir(path);
    if (d) closedir(d);
    verdict(what, d == NULL);
}

/* path_open with an explicit path length (wasi-libc's wrapper would strlen the path itself). */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")))
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
                      int64_t base, int64_t inheriting, int32_t fdflags, int32_t out);

#define REFUSED(what, expr) verdict(what, (expr) != 0)

int main(void) {
    /* `..`, absolute paths, links out. */
    no_open("../outside/sentinel", O_RDONLY);
    no_open("/../outside/sentinel", O_RDONLY);
    no_open("sub/../../outside/sentinel", O_RDONLY);
    no_open("./sub/./../../outside/sentinel", O_RDONLY);
    no_open("etc/passwd", O_RDONLY);
    no_open("etc/", O_RDONLY | O_DIRECTORY);
    no_open("abs", O_RDONLY);
    no_open("up/outside/sentinel", O_RDONLY);
    no_open("up/", O_RDONLY | O_DIRECTORY);
    no_open("c1/sentinel", O_RDONLY);
    no_open("sub/deep/passwd", O_RDONLY);
    no_open("updir/../outside/sentinel", O_RDONLY);
    no_open("dangling_out", O_CREAT | O_WRONLY);
    no_open("abs_dangling", O_CREAT | O_WRONLY);
    no_open("up/outside/new", O_CREAT | O_WRONLY);
    no_open("..", O_RDONLY | O_DIRECTORY);
    no_stat("up/outside/sentinel");
    no_stat("etc/passwd");
    no_stat("c1");
    no_opendir("up");
    no_opendir("..");
    no_opendir("etc");
    no_opendir("sub/deep");

    /* Changes outside. */
    REFUSED("mkdir(\"../escaped_dir\")", mkdir("../escaped_dir", 0755));
    REFUSED("mkdir(\"up/escaped_dir\")", mkdir("up/escaped_dir", 0755));
    REFUSED("rename(\"inside.txt\", \"../outside/moved\")", rename("inside.txt", "../outside/moved"));
    REFUSED("rename(\"up/outside/sentinel\", \"taken\")", rename("up/outside/sentinel", "taken"));
    REFUSED("link(\"up/outside/sentinel\", \"stolen\")", link("up/outside/sentinel", "stolen"));
    REFUSED("unlink(\"up/outside/sentinel\")", unlink("up/outside/sentinel"));
    REFUSED("unlink(\"../outside/sentinel\")", unlink("../outside/sentinel"));
    REFUSED("truncate(\"c1/sentinel\", 0)", truncate("c1/sentinel", 0));
    REFUSED("utimensat(\"up/outside/sentinel\")",
            utimensat(AT_FDCWD, "up/outside/sentinel", (struct timespec[2]){{0, 0}, {0, 0}}, 0));
    REFUSED("symlink(\"x\", \"../outside/link\")", symlink("x", "../outside/link"));
    REFUSED("rmdir(\"../outside\")", rmdir("../outside"));

    /* Links the guest makes itself are stored, but cannot be followed out. */
    symlink("/etc/passwd", "mine_abs");
    symlink("../outside/sentinel", "mine_up");
    symlink("sub/../../outside", "mine_dir");
    no_open("mine_abs", O_RDONLY);
    no_open("mine_up", O_RDONLY);
    no_open("mine_dir/sentinel", O_RDONLY);
    no_open("mine_dir/written", O_CREAT | O_WRONLY);

    /* A directory fd is a capability for that directory only. */
    int sub = open("sub", O_RDONLY | O_DIRECTORY);
    int fd = openat(sub, "../inside.txt", O_RDONLY);
    verdict("openat(sub, \"../inside.txt\")", fd < 0);
    if (fd >= 0) close(fd);
    fd = openat(sub, "c3/sentinel", O_RDONLY);
    verdict("openat(sub, \"c3/sentinel\")", fd < 0);
    if (fd >= 0) close(fd);
    close(sub);

    /* The raw WASI calls, past wasi-libc's own path handling. */
    __wasi_fd_t out;
    REFUSED("path_open(3, \"/etc/passwd\")",
            __wasi_path_open(3, 0, "/etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, 0, &out));
    REFUSED("path_open(3, \"..\")",
            __wasi_path_open(3, 0, "..", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0, &out));
    REFUSED("path_open(3, \"etc\", follow)",
            __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "etc", __WASI_OFLAGS_DIRECTORY,
                             __WASI_RIGHTS_FD_READDIR, 0, 0, &out));
    __wasi_filestat_t fst;
    REFUSED("path_filestat_get(3, follow, \"abs\")",
            __wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "abs", &fst));
    REFUSED("path_open(3, \"sub/../..\")",
            __wasi_path_open(3, 0, "sub/../..", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0, &out));

    /* Guest pointers and lengths outside the memory: EFAULT, and nothing happens. */
    uint32_t end = (uint32_t)(__builtin_wasm_memory_size(0) * 65536);
    uint8_t *past = (uint8_t *)(uintptr_t)end;
    size_t n;
    static char text[] = "must not be written\n";
    __wasi_ciovec_t iov = {(const uint8_t *)text, sizeof text - 1};
    __wasi_ciovec_t bad_buf = {past - 10, 100}, huge = {(const uint8_t *)text, 0xffffffffu};
    __wasi_iovec_t bad_read = {past - 4, 8};
#define EFAULTS(what, expr) verdict("EFAULT " what, (expr) == __WASI_ERRNO_FAULT)
    EFAULTS("fd_write: iovec array past the end", __wasi_fd_write(1, (void *)(past - 4), 1, &n));
    EFAULTS("fd_write: iovec array of 2^29 entries", __wasi_fd_write(1, &iov, 0x20000000, &n));
    EFAULTS("fd_write: buffer past the end", __wasi_fd_write(1, &bad_buf, 1, &n));
    EFAULTS("fd_write: buffer length 2^32-1", __wasi_fd_write(1, &huge, 1, &n));
    EFAULTS("fd_write: result pointer past the end", __wasi_fd_write(1, &iov, 1, (size_t *)past));
    EFAULTS("fd_write: result pointer 0xffffffff", __wasi_fd_write(1, &iov, 1, (size_t *)0xffffffffu));
    int file = open("inside.txt", O_RDONLY);
    EFAULTS("fd_read: buffer past the end", __wasi_fd_read(file, &bad_read, 1, &n));
    EFAULTS("fd_pread: buffer past the end", __wasi_fd_pread(file, &bad_read, 1, 0, &n));
    close(file);
    EFAULTS("path_open: path past the end",
            raw_path_open(3, 0, end - 2, 10, 0, 0, 0, 0, (int32_t)(uintptr_t)&out));
    EFAULTS("path_open: fd result past the end",
            __wasi_path_open(3, 0, "created_by_bad_call", __WASI_OFLAGS_CREAT, 0, 0, 0,
                             (__wasi_fd_t *)past));
    EFAULTS("args_get: argv past the end", __wasi_args_get((uint8_t **)past, (uint8_t *)text));
    EFAULTS("environ_sizes_get: result past the end",
            __wasi_environ_sizes_get(&n, (size_t *)(past - 2)));
    EFAULTS("random_get: buffer past the end", __wasi_random_get(past - 5, 10));
    EFAULTS("clock_time_get: result past the end",
            __wasi_clock_time_get(0, 0, (__wasi_timestamp_t *)(past - 4)));
    EFAULTS("fd_prestat_dir_name: buffer past the end",
            __wasi_fd_prestat_dir_name(3, past, 1));
    __wasi_event_t ev;
    EFAULTS("poll_oneoff: subscriptions past the end",
            __wasi_poll_oneoff((const __wasi_subscription_t *)(past - 8), &ev, 1, &n));
    EFAULTS("fd_readdir: buffer past the end", __wasi_fd_readdir(3, past - 5, 100, 0, &n));
    EFAULTS("path_readlink: buffer past the end",
            __wasi_path_readlink(3, "abs", past - 1, 64, &n));
    EFAULTS("path_filestat_get: result past the end",
            __wasi_path_filestat_get(3, 0, "inside.txt", (__wasi_filestat_t *)(past - 32)));
    struct stat st;
    verdict("no file made by the refused path_open", stat("created_by_bad_call", &st) != 0);

    /* Last, as it takes rights away from the preopen for good. */
    REFUSED("path_open(3, rights beyond the directory's)",
            __wasi_fd_fdstat_set_rights(3, __WASI_RIGHTS_PATH_OPEN, __WASI_RIGHTS_FD_READ) ||
            __wasi_path_open(3, 0, "inside.txt", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &out));
    REFUSED("path_open(3) needing a right the directory lost",
            __wasi_path_open(3, 0, "new.txt", __WASI_OFLAGS_CREAT, 0, 0, 0, &out));

    printf("%d escaped\n", escaped);
    return escaped ? 1 : 0;
}
