/* Renaming, unlinking, symbolic links (relative, chained, dangling, to directories) and hard
 * links, all inside the preopen. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void put(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) < 0) printf("put %s: %s\n", path, strerror(errno));
    if (fd >= 0) close(fd);
}

static void show(const char *path) {
    char buf[128] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: %s\n", path, strerror(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("%s: [%.*s]\n", path, (int)(n > 0 ? n : 0), buf);
}

static void link_text(const char *path) {
    char buf[128];
    ssize_t n = readlink(path, buf, sizeof buf);
    if (n < 0) printf("readlink %s: %s\n", path, strerror(errno));
    else printf("readlink %s: [%.*s]\n", path, (int)n, buf);
}

int main(void) {
    struct stat st;
    put("original.txt", "original");
    CHECK(rename("original.txt", "renamed.txt") == 0);
    show("original.txt");
    show("renamed.txt");
    put("other.txt", "other");
    CHECK(rename("other.txt", "renamed.txt") == 0); /* replaces */
    show("renamed.txt");
    CHECK(mkdir("dir", 0755) == 0);
    CHECK(rename("renamed.txt", "dir/moved.txt") == 0);
    show("dir/moved.txt");
    CHECK(rename("dir", "dir2") == 0);
    show("dir2/moved.txt");
    CHECK(rename("missing", "x") == -1 && errno == ENOENT);

    /* symbolic links */
    CHECK(symlink("moved.txt", "dir2/link") == 0);
    show("dir2/link");
    link_text("dir2/link");
    CHECK(lstat("dir2/link", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat("dir2/link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
    CHECK(symlink("dir2", "dirlink") == 0);
    show("dirlink/moved.txt");
    CHECK(symlink("dirlink/link", "chain1") == 0);
    CHECK(symlink("chain1", "chain2") == 0);
    show("chain2");
    CHECK(symlink("nowhere", "dangling") == 0);
    show("dangling");
    CHECK(lstat("dangling", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat("dangling", &st) == -1 && errno == ENOENT);
    /* Creating through a dangling link creates its target (inside the preopen). */
    put("dangling", "made through a link");
    show("nowhere");
    CHECK(symlink("loop2", "loop1") == 0 && symlink("loop1", "loop2") == 0);
    CHECK(open("loop1", O_RDONLY) == -1 && errno == ELOOP);
    CHECK(open("dir2/link", O_RDONLY | O_NOFOLLOW) == -1 && errno == ELOOP);
    CHECK(symlink("x", "dir2/link") == -1 && errno == EEXIST);
    CHECK(readlink("dir2/moved.txt", (char[8]){0}, 8) == -1 && errno == EINVAL);
    /* A link whose target walks up and down again, still inside. */
    CHECK(symlink("../dir2/moved.txt", "dir2/updown") == 0);
    show("dir2/updown");
    CHECK(unlink("dir2/link") == 0);
    CHECK(lstat("dir2/link", &st) == -1 && errno == ENOENT);
    show("dir2/moved.txt");

    /* hard links */
    CHECK(link("dir2/moved.txt", "hard.txt") == 0);
    CHECK(stat("hard.txt", &st) == 0 && st.st_nlink == 2);
    put("hard.txt", "changed");
    show("dir2/moved.txt");
    CHECK(unlink("dir2/moved.txt") == 0);
    CHECK(stat("hard.txt", &st) == 0 && st.st_nlink == 1);
    show("hard.txt");
    CHECK(unlink("hard.txt") == 0);
    CHECK(unlink("hard.txt") == -1 && errno == ENOENT);
    CHECK(unlink("dir2") == -1 && errno == EISDIR);

    printf("%s\n", failures ? "links: FAILED" : "links: ok");
    return failures ? 1 : 0;
}
