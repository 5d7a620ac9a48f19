/* The stdio streams: copies stdin to stdout in chunks (fd_read/fd_write on the host's fds), says
 * on stderr how much it copied, and checks fd 0-2's types and that poll() sees stdin readable. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
    struct pollfd p = {0, POLLIN, 0};
    int ready = poll(&p, 1, 1000);
    char buf[1000];
    long total = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(1, buf + done, (size_t)(n - done));
            if (w <= 0) return 2;
            done += w;
        }
        total += n;
    }
    fprintf(stderr, "copied %ld bytes, stdin ready: %s\n", total,
            ready == 1 && (p.revents & (POLLIN | POLLHUP)) ? "yes" : "no");
    __wasi_fdstat_t st;
    for (int fd = 0; fd < 3; fd++)
        if (__wasi_fd_fdstat_get(fd, &st) != 0) fprintf(stderr, "fd %d: no fdstat\n", fd);
    return n < 0 ? 1 : 0;
}
