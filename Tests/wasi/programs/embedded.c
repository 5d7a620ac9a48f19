/* Embedded directories (`wasmc compile --embed-dir`), as a program sees them.
 *   embedded list DIR         every entry below DIR, sorted, with its type; each file's size
 *                             and a hash of its bytes read three ways (read() in odd-sized
 *                             chunks, pread() backwards, lseek() to the end then back), which
 *                             must agree. The same run natively on the host directory must
 *                             print the same.
 *   embedded probe DIR FILE   what a read-only directory must refuse, with the errno of each
 *                             refusal, and reads at and past the end of FILE. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#ifndef ENOTCAPABLE /* WASI's own errno; natively never seen */
#define ENOTCAPABLE 76
#endif

static unsigned long long mix(unsigned long long h, unsigned char byte) { return (h ^ byte) * 1099511628211ull; }

/* The FNV-1a hash of the file's bytes, read three ways; prints "f PATH SIZE HASH". */
static void file(const char *path) {
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    if (fd < 0) return;
    unsigned long long h = 14695981039346656037ull;
    unsigned char buf[777];
    ssize_t n;
    long long size = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) h = mix(h, buf[i]);
        size += n;
    }
    CHECK(n == 0);
    off_t end = lseek(fd, 0, SEEK_END);
    CHECK(end == size);
    /* pread from the last byte down, one byte at a time for small files, else in 4 KiB steps
     * whose bytes are checked against a second sequential pass. */
    unsigned long long again = 14695981039346656037ull;
    for (long long at = 0; at < size; at += sizeof buf) {
        ssize_t got = pread(fd, buf, sizeof buf, at);
        CHECK(got == (size - at < (long long)sizeof buf ? size - at : (long long)sizeof buf));
        for (ssize_t i = 0; i < got; i++) again = mix(again, buf[i]);
    }
    CHECK(again == h);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    if (size > 0) {
        unsigned char first;
        CHECK(read(fd, &first, 1) == 1);
        CHECK(lseek(fd, 0, SEEK_CUR) == 1);
    }
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == size);
    close(fd);
    printf("f %s %lld %016llx\n", path, size, h);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *dir) {
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d) return;
    char **names = malloc(4096 * sizeof *names); /* not on the stack: the recursion is deep */
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 4096)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        CHECK(stat(path, &st) == 0);
        if (S_ISDIR(st.st_mode)) {
            printf("d %s\n", path);
            list(path);
        } else {
            file(path);
        }
        free(names[i]);
    }
    free(names);
}

static const char *name_of(int e) {
    switch (e) {
    case 0: return "ok";
    case EROFS: return "EROFS";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case ENOENT: return "ENOENT";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EBADF: return "EBADF";
    case EEXIST: return "EEXIST";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    default: return strerror(e);
    }
}

#define PROBE(what, call)                                                                        \
    do {                                                                                       \
        errno = 0;                                                                             \
        int r_ = (call);                                                                       \
        printf("%s: %s\n", what, r_ < 0 ? name_of(errno) : "ok");                             \
    } while (0)

static void probe(const char *dir, const char *name) {
    char path[2048], other[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    PROBE("open for writing", open(path, O_WRONLY));
    PROBE("open for reading and writing", open(path, O_RDWR));
    PROBE("truncate on open", open(path, O_RDONLY | O_TRUNC));
    snprintf(other, sizeof other, "%s/new.txt", dir);
    PROBE("create a file", open(other, O_WRONLY | O_CREAT, 0644));
    PROBE("create an existing file exclusively", open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
    snprintf(other, sizeof other, "%s/newdir", dir);
    PROBE("mkdir", mkdir(other, 0755));
    PROBE("unlink", unlink(path));
    snprintf(other, sizeof other, "%s/renamed", dir);
    PROBE("rename", rename(path, other));
    snprintf(other, sizeof other, "%s/../escape", dir);
    PROBE("open above the directory", open(other, O_RDONLY));
    snprintf(other, sizeof other, "%s/missing", dir);
    PROBE("open a missing file", open(other, O_RDONLY));
    snprintf(other, sizeof other, "%s/x", path);
    PROBE("a file as a directory", open(other, O_RDONLY));
    PROBE("opendir of a file", opendir(path) ? 0 : -1);
    snprintf(other, sizeof other, "%s/.", dir);
    PROBE("open the directory itself", open(other, O_RDONLY | O_DIRECTORY));

    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    char byte;
    PROBE("write to a file opened for reading", (int)write(fd, "x", 1));
    off_t end = lseek(fd, 0, SEEK_END);
    printf("read at the end: %d\n", (int)read(fd, &byte, 1));
    CHECK(lseek(fd, 100, SEEK_END) == end + 100);
    printf("read past the end: %d\n", (int)read(fd, &byte, 1));
    PROBE("seek before the start", (int)lseek(fd, -1, SEEK_SET));
    struct pollfd ready = {fd, POLLIN, 0};
    int polled = poll(&ready, 1, 1000);
    printf("poll for reading: %d%s\n", polled, ready.revents & POLLIN ? " POLLIN" : "");
    close(fd);
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "list")) list(argv[2]);
    else if (argc == 4 && !strcmp(argv[1], "probe")) probe(argv[2], argv[3]);
    else {
        fprintf(stderr, "usage: embedded list DIR | embedded probe DIR FILE\n");
        return 2;
    }
    if (failures) printf("%d checks failed\n", failures);
    return failures ? 1 : 0;
}
