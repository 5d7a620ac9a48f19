/* Directories: mkdir, nested paths, readdir (entries sorted here, since the order is the file
 * system's; many long names make wasi-libc call fd_readdir again with cookies and a bigger
 * buffer), rewinddir, rmdir of a non-empty directory, stat types, paths with . and .. inside
 * the preopen. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Prints the sorted entries of a directory (without . and ..) and their types. */
static int list(const char *path, int print) {
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *names[1024];
    int n = 0, dots = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            dots++;
            continue;
        }
        char *s = malloc(strlen(e->d_name) + 3);
        sprintf(s, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : e->d_type == DT_LNK ? "@" : "");
        names[n++] = s;
    }
    /* Reading again after rewinddir gives the same count. */
    rewinddir(d);
    int again = 0;
    while ((e = readdir(d))) again++;
    closedir(d);
    if (again != n + dots) printf("rewinddir: %d entries, then %d\n", n + dots, again);
    qsort(names, (size_t)n, sizeof *names, cmp);
    if (print) {
        printf("%s:", path);
        for (int i = 0; i < n; i++) printf(" %s", names[i]);
        printf("\n");
    }
    for (int i = 0; i < n; i++) free(names[i]);
    return n;
}

static void touch(const char *path) {
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) close(fd);
    else printf("touch %s: %s\n", path, strerror(errno));
}

int main(void) {
    CHECK(mkdir("a", 0755) == 0);
    CHECK(mkdir("a/b", 0755) == 0);
    CHECK(mkdir("a/b/c", 0755) == 0);
    CHECK(mkdir("a", 0755) == -1 && errno == EEXIST);
    CHECK(mkdir("x/y", 0755) == -1 && errno == ENOENT);
    touch("a/one.txt");
    touch("a/b/two.txt");
    touch("a/./b/../three.txt");
    list("a", 1);
    list("a/b", 1);
    list("a/b/c", 1);
    list("./a/b/..", 1);

    struct stat st;
    CHECK(stat("a/b", &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(stat("a/one.txt", &st) == 0 && S_ISREG(st.st_mode));
    CHECK(stat("a/b/c/../../one.txt", &st) == 0 && S_ISREG(st.st_mode));

    /* Many entries with long names. */
    CHECK(mkdir("many", 0755) == 0);
    char name[300];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "many/%03d-%.*s", i, 150 + i % 90,
                 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                 "abcdefghijklmnopqrstuvwxyz");
        touch(name);
    }
    printf("many: %d entries\n", list("many", 0));

    /* rmdir */
    CHECK(rmdir("a/b") == -1 && errno == ENOTEMPTY);
    CHECK(rmdir("a/one.txt") == -1 && errno == ENOTDIR);
    CHECK(unlink("a/b/two.txt") == 0);
    CHECK(rmdir("a/b/c") == 0);
    CHECK(rmdir("a/b") == 0);
    CHECK(stat("a/b", &st) == -1 && errno == ENOENT);
    list("a", 1);
    CHECK(unlink("a") == -1 && errno == EISDIR);

    /* A directory opened as a file. */
    int fd = open("a", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    CHECK(fstat(fd, &st) == 0 && S_ISDIR(st.st_mode));
    char buf[4];
    CHECK(read(fd, buf, 4) == -1);
    close(fd);
    CHECK(open("a/one.txt", O_RDONLY | O_DIRECTORY) == -1 && errno == ENOTDIR);

    /* Relative paths with `..` that stay inside. */
    CHECK(mkdir("a/d", 0755) == 0);
    touch("a/d/../../top.txt");
    CHECK(stat("top.txt", &st) == 0);
    list(".", 1);

    printf("%s\n", failures ? "dirs: FAILED" : "dirs: ok");
    return failures ? 1 : 0;
}
