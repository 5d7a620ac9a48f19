/* The WASI functions wasi-libc does not reach, or reaches only on error paths, called directly:
 * each line names a call and the errno it returned, compared with the expected output. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

/* Not declared by this wasi-libc's headers. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
uint16_t proc_raise(uint32_t sig);

static void show(const char *what, int e) { printf("%-48s %d\n", what, e); }

int main(void) {
    show("proc_raise(SIGTERM) (ENOSYS)", proc_raise(15));
    show("sched_yield", __wasi_sched_yield());
    __wasi_timestamp_t t;
    show("clock_time_get(7) (EINVAL)", __wasi_clock_time_get(7, 0, &t));
    show("clock_res_get(4) (EINVAL)", __wasi_clock_res_get(4, &t));
    show("clock_time_get(process cputime)", __wasi_clock_time_get(2, 0, &t));

    /* sockets: there are none here */
    __wasi_fd_t fd;
    size_t n;
    __wasi_roflags_t ro;
    __wasi_iovec_t iov = {(uint8_t *)&t, 8};
    __wasi_ciovec_t ciov = {(const uint8_t *)&t, 8};
    show("sock_accept(stdin) (ENOTSOCK)", __wasi_sock_accept(0, 0, &fd));
    show("sock_recv(stdin) (ENOTSOCK)", __wasi_sock_recv(0, &iov, 1, 0, &n, &ro));
    show("sock_send(stdout) (ENOTSOCK)", __wasi_sock_send(1, &ciov, 1, 0, &n));
    show("sock_shutdown(99) (EBADF)", __wasi_sock_shutdown(99, __WASI_SDFLAGS_RD));
    show("sock_send(99) (EBADF)", __wasi_sock_send(99, &ciov, 1, 0, &n));

    /* preopens */
    __wasi_prestat_t pre;
    show("fd_prestat_get(3)", __wasi_fd_prestat_get(3, &pre));
    char name[16] = {0};
    show("fd_prestat_dir_name(3)", __wasi_fd_prestat_dir_name(3, (uint8_t *)name, pre.u.dir.pr_name_len));
    printf("preopen name: [%s]\n", name);
    show("fd_prestat_get(1) (EBADF)", __wasi_fd_prestat_get(1, &pre));
    show("fd_prestat_get(4) (EBADF)", __wasi_fd_prestat_get(4, &pre));

    /* rights and kinds */
    int file = open("file.txt", O_CREAT | O_RDWR, 0644);
    show("path_open(on a file fd) (ENOTDIR)",
         __wasi_path_open(file, 0, "x", 0, 0, 0, 0, &fd));
    uint8_t buf[64];
    show("fd_readdir(file) (ENOTDIR)", __wasi_fd_readdir(file, buf, sizeof buf, 0, &n));
    show("fd_fdstat_set_flags(SYNC) (ENOTSUP)", __wasi_fd_fdstat_set_flags(file, __WASI_FDFLAGS_SYNC));
    show("fd_fdstat_set_flags(APPEND)", __wasi_fd_fdstat_set_flags(file, __WASI_FDFLAGS_APPEND));
    show("fd_filestat_set_times(ATIM|ATIM_NOW) (EINVAL)",
         __wasi_fd_filestat_set_times(file, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW));
    show("fd_filestat_set_times(MTIM_NOW)", __wasi_fd_filestat_set_times(file, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
    show("fd_advise(advice 9) (EINVAL)", __wasi_fd_advise(file, 0, 0, 9));
    show("fd_allocate(0, 10)", __wasi_fd_allocate(file, 0, 10));
    show("fd_seek(whence 3) (EINVAL)", __wasi_fd_seek(file, 0, 3, &t));
    show("fd_renumber(file, 77) (EBADF)", __wasi_fd_renumber(file, 77));
    show("fd_close(77) (EBADF)", __wasi_fd_close(77));
    show("fd_read(dir 3) (EBADF: no FD_READ right)", __wasi_fd_read(3, &iov, 1, &n));
    show("path_open(\"\") (ENOENT)", __wasi_path_open(3, 0, "", 0, 0, 0, 0, &fd));
    show("path_open(DIRECTORY|CREAT) (EINVAL)",
         __wasi_path_open(3, 0, "newdir", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_CREAT, 0, 0, 0, &fd));
    show("path_create_directory(\"d/\")", __wasi_path_create_directory(3, "d/"));
    show("path_unlink_file(\"file.txt/\") (ENOTDIR)", __wasi_path_unlink_file(3, "file.txt/"));
    show("path_unlink_file(\"d/\") (EISDIR)", __wasi_path_unlink_file(3, "d/"));
    show("path_remove_directory(\"d/\")", __wasi_path_remove_directory(3, "d/"));
    show("path_symlink(\"file.txt\", \"sl\")", __wasi_path_symlink("file.txt", 3, "sl"));
    show("path_open(\"sl\", nofollow) (ELOOP)",
         __wasi_path_open(3, 0, "sl", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    show("path_open(\"sl\", follow)",
         __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sl", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd));
    __wasi_filestat_t st;
    show("path_filestat_get(\"sl\", nofollow)", __wasi_path_filestat_get(3, 0, "sl", &st));
    printf("filetype without follow: %d\n", st.filetype);
    show("path_filestat_get(\"sl\", follow)",
         __wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sl", &st));
    printf("filetype with follow: %d\n", st.filetype);
    show("path_link(follow \"sl\" -> \"hard\")",
         __wasi_path_link(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sl", 3, "hard"));
    show("path_filestat_get(\"hard\")", __wasi_path_filestat_get(3, 0, "hard", &st));
    printf("hard: filetype %d, nlink %llu\n", st.filetype, (unsigned long long)st.nlink);
    show("path_filestat_set_times(\"sl\", nofollow, MTIM)",
         __wasi_path_filestat_set_times(3, 0, "sl", 0, 1000000000ull * 1234567, __WASI_FSTFLAGS_MTIM));
    if (__wasi_path_filestat_get(3, 0, "sl", &st) != 0) printf("path_filestat_get failed\n");
    printf("link mtime: %llu\n", (unsigned long long)(st.mtim / 1000000000ull));

    /* poll_oneoff */
    __wasi_subscription_t subs[3];
    __wasi_event_t events[3];
    show("poll_oneoff(0 subscriptions) (EINVAL)", __wasi_poll_oneoff(subs, events, 0, &n));
    memset(subs, 0, sizeof subs);
    subs[0].userdata = 11;
    subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[0].u.u.clock.timeout = 1000000;
    subs[1].userdata = 22;
    subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
    subs[1].u.u.fd_read.file_descriptor = 99;
    show("poll_oneoff(clock, bad fd)", __wasi_poll_oneoff(subs, events, 2, &n));
    printf("events %zu: userdata %llu error %d type %d\n", n, (unsigned long long)events[0].userdata,
           events[0].error, events[0].type);
    subs[1].u.u.fd_read.file_descriptor = file;
    subs[2].userdata = 33;
    subs[2].u.tag = __WASI_EVENTTYPE_FD_WRITE;
    subs[2].u.u.fd_write.file_descriptor = file;
    show("poll_oneoff(clock, file readable, file writable)", __wasi_poll_oneoff(subs, events, 3, &n));
    printf("events %zu: %llu/%d %llu/%d\n", n, (unsigned long long)events[0].userdata, events[0].type,
           (unsigned long long)events[1].userdata, events[1].type);
    show("poll_oneoff(clock only)", __wasi_poll_oneoff(subs, events, 1, &n));
    printf("events %zu: userdata %llu type %d\n", n, (unsigned long long)events[0].userdata, events[0].type);
    close(file);
    return 0;
}
