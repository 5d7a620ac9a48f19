/* Files in the preopened directory (the current directory): create, write, read back, append,
 * seek and tell (also past the end), pread/pwrite (which leave the offset alone), truncate,
 * fstat/stat, fcntl flags, fsync, fallocate, times, and the errors of the common mistakes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

static void show(const char *path) {
    char buf[256] = {0};
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0) close(fd);
    printf("%s: %zd bytes [%s]\n", path, n, n >= 0 ? buf : strerror(errno));
}

int main(void) {
    /* create and write, read back */
    int fd = open("notes.txt", O_CREAT | O_TRUNC | O_WRONLY, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "hello, ", 7) == 7);
    CHECK(write(fd, "world\n", 6) == 6);
    CHECK(close(fd) == 0);
    show("notes.txt");

    /* append */
    fd = open("notes.txt", O_WRONLY | O_APPEND);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(write(fd, "more\n", 5) == 5);
    CHECK(lseek(fd, 0, SEEK_CUR) == 18);
    close(fd);
    show("notes.txt");

    /* seek, tell, holes */
    fd = open("seek.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(write(fd, "0123456789", 10) == 10);
    CHECK(lseek(fd, 0, SEEK_CUR) == 10);
    CHECK(lseek(fd, 3, SEEK_SET) == 3);
    char c[4] = {0};
    CHECK(read(fd, c, 3) == 3 && memcmp(c, "345", 3) == 0);
    CHECK(lseek(fd, -2, SEEK_END) == 8);
    CHECK(read(fd, c, 3) == 2 && memcmp(c, "89", 2) == 0);
    CHECK(read(fd, c, 3) == 0); /* end of file */
    CHECK(lseek(fd, -1, SEEK_SET) == -1 && errno == EINVAL);
    CHECK(lseek(fd, 20, SEEK_SET) == 20);
    CHECK(write(fd, "X", 1) == 1);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 21 && S_ISREG(st.st_mode));
    CHECK(pread(fd, c, 2, 10) == 2 && c[0] == 0 && c[1] == 0); /* the hole reads as zeros */
    long here = lseek(fd, 0, SEEK_CUR);
    CHECK(pwrite(fd, "ab", 2, 1) == 2);
    CHECK(pread(fd, c, 4, 0) == 4 && memcmp(c, "0ab3", 4) == 0);
    CHECK(lseek(fd, 0, SEEK_CUR) == here); /* pread/pwrite leave the offset alone */
    FILE *f = fdopen(fd, "r+");
    CHECK(f && fseek(f, 5, SEEK_SET) == 0 && ftell(f) == 5);
    CHECK(fgetc(f) == '5' && ftell(f) == 6);
    rewind(f);
    CHECK(ftell(f) == 0);

    /* truncate, allocate, sync, times */
    CHECK(ftruncate(fd, 4) == 0 && fstat(fd, &st) == 0 && st.st_size == 4);
    CHECK(posix_fallocate(fd, 0, 100) == 0 && fstat(fd, &st) == 0 && st.st_size == 100);
    CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
    CHECK(fsync(fd) == 0);
    CHECK(fdatasync(fd) == 0);
    struct timespec times[2] = {{1000000000, 5}, {1200000000, 7}};
    CHECK(futimens(fd, times) == 0 && fstat(fd, &st) == 0);
    CHECK(st.st_mtim.tv_sec == 1200000000 && st.st_atim.tv_sec == 1000000000);
    fclose(f);
    struct timespec later[2] = {{UTIME_OMIT, UTIME_OMIT}, {1300000000, 0}};
    CHECK(utimensat(AT_FDCWD, "seek.bin", later, 0) == 0);
    CHECK(stat("seek.bin", &st) == 0 && st.st_mtim.tv_sec == 1300000000 && st.st_atim.tv_sec == 1000000000);
    CHECK(truncate("seek.bin", 3) == 0 && stat("seek.bin", &st) == 0 && st.st_size == 3);

    /* fcntl flags */
    fd = open("notes.txt", O_RDWR);
    CHECK((fcntl(fd, F_GETFL) & O_APPEND) == 0);
    CHECK(fcntl(fd, F_SETFL, O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND));
    CHECK(write(fd, "tail\n", 5) == 5);
    CHECK(lseek(fd, 0, SEEK_CUR) == 23);
    close(fd);
    show("notes.txt");

    /* stdio on files */
    f = fopen("lines.txt", "w");
    for (int i = 0; i < 1000; i++) fprintf(f, "line %d\n", i);
    fclose(f);
    f = fopen("lines.txt", "r");
    char line[64];
    int count = 0;
    long sum = 0;
    while (fgets(line, sizeof line, f)) {
        count++;
        sum += atol(line + 5);
    }
    fclose(f);
    printf("lines: %d, sum %ld\n", count, sum);

    /* errors */
    CHECK(open("missing.txt", O_RDONLY) == -1 && errno == ENOENT);
    CHECK(open("notes.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST);
    fd = open("notes.txt", O_RDONLY);
    CHECK(write(fd, "x", 1) == -1 && errno == EBADF);
    close(fd);
    CHECK(close(fd) == -1 && errno == EBADF);
    CHECK(read(1000, c, 1) == -1 && errno == EBADF);
    CHECK(open("notes.txt/x", O_RDONLY) == -1 && errno == ENOTDIR);
    CHECK(open(".", O_WRONLY) == -1 && errno == EISDIR);
    fd = open("notes.txt", O_RDONLY);
    CHECK(lseek(fd, 0, 7) == -1 && errno == EINVAL);
    close(fd);

    /* fd_renumber, fd_fdstat_set_rights (raw WASI) */
    int a = open("notes.txt", O_RDONLY), b = open("lines.txt", O_RDONLY);
    CHECK(__wasi_fd_renumber(a, b) == 0);
    CHECK(read(b, c, 4) == 4 && memcmp(c, "hell", 4) == 0);
    CHECK(read(a, c, 1) == -1 && errno == EBADF);
    __wasi_fdstat_t fs;
    CHECK(__wasi_fd_fdstat_get(b, &fs) == 0 && fs.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
    CHECK(__wasi_fd_fdstat_set_rights(b, fs.fs_rights_base & ~__WASI_RIGHTS_FD_SEEK, 0) == 0);
    CHECK(__wasi_fd_fdstat_set_rights(b, fs.fs_rights_base, 0) == __WASI_ERRNO_NOTCAPABLE);
    CHECK(lseek(b, 0, SEEK_SET) == -1 && errno == ESPIPE); /* wasi-libc's word for ENOTCAPABLE here */
    close(b);

    printf("%s\n", failures ? "files: FAILED" : "files: ok");
    return failures ? 1 : 0;
}
