/* sock_accept, sock_recv, sock_send, sock_shutdown on a listening socket the host hands over as
 * fd 0 (WASI preview1 cannot open sockets itself). scripts/test-wasi connects, sends "ping" and
 * expects "pong:ping" back, then end of stream. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int fail(const char *what, int e) {
    fprintf(stderr, "%s: errno %d\n", what, e);
    return 1;
}

int main(void) {
    __wasi_fdstat_t st;
    int e = __wasi_fd_fdstat_get(0, &st);
    if (e || st.fs_filetype != __WASI_FILETYPE_SOCKET_STREAM) return fail("fd 0 is no stream socket", e);
    __wasi_fd_t conn;
    if ((e = __wasi_sock_accept(0, 0, &conn))) return fail("sock_accept", e);
    struct pollfd p = {conn, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1 || !(p.revents & POLLIN)) return fail("poll", 0);
    char buf[64] = "pong:";
    __wasi_iovec_t in = {(uint8_t *)buf + 5, sizeof buf - 6};
    size_t got = 0, sent = 0;
    __wasi_roflags_t flags;
    /* Peek first: the bytes stay for the real read. */
    if ((e = __wasi_sock_recv(conn, &in, 1, __WASI_RIFLAGS_RECV_PEEK, &got, &flags))) return fail("peek", e);
    in.buf_len = 4; /* WAITALL waits for the whole buffer */
    if ((e = __wasi_sock_recv(conn, &in, 1, __WASI_RIFLAGS_RECV_WAITALL, &got, &flags)))
        return fail("sock_recv", e);
    if (got != 4) return fail("sock_recv length", (int)got);
    __wasi_ciovec_t out = {(const uint8_t *)buf, 5 + got};
    if ((e = __wasi_sock_send(conn, &out, 1, 0, &sent)) || sent != 9) return fail("sock_send", e);
    if ((e = __wasi_sock_shutdown(conn, __WASI_SDFLAGS_WR))) return fail("sock_shutdown", e);
    if (__wasi_sock_shutdown(conn, 0) != __WASI_ERRNO_INVAL) return fail("sock_shutdown(0) not EINVAL", 0);
    if ((e = __wasi_fd_close(conn))) return fail("fd_close", e);
    printf("served one connection: %s\n", buf);
    return 0;
}
