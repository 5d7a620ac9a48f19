/* poll.c: poll_oneoff (clock and fd subscriptions) and the sock_* functions, which work on
 * sockets the embedder handed over (WASI preview1 cannot open sockets itself). */
#include "wasi_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---- poll_oneoff ------------------------------------------------------------------------- */

enum { EVENT_CLOCK = 0, EVENT_FD_READ = 1, EVENT_FD_WRITE = 2 };
#define SUBSCRIPTION_SIZE 48
#define EVENT_SIZE 32

static clockid_t clock_of(uint32_t id) {
    return id == 0 ? CLOCK_REALTIME : id == 1 ? CLOCK_MONOTONIC
         : id == 2 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_THREAD_CPUTIME_ID;
}

static int64_t now_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static uint8_t *put_event(uint8_t *out, uint64_t userdata, uint16_t error, uint8_t type,
                          uint64_t nbytes, uint16_t flags) {
    memset(out, 0, EVENT_SIZE);
    wasi_store64(out, userdata);
    wasi_store16(out + 8, error);
    out[10] = type;
    wasi_store64(out + 16, nbytes);
    wasi_store16(out + 24, flags);
    return out + EVENT_SIZE;
}

/* Bytes that can be read without blocking, where the host can tell. */
static uint64_t readable(int fd) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        off_t at = lseek(fd, 0, SEEK_CUR);
        return at >= 0 && st.st_size > at ? (uint64_t)(st.st_size - at) : 0;
    }
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? (uint64_t)n : 0;
}

uint16_t wasi_poll_oneoff(wasmc_wasi *w, const wasmc_value *a) {
    uint32_t n = WASI_ARG32(2);
    if (n == 0) return WASI_EINVAL;
    const uint8_t *in = wasi_mem(w, WASI_ARG32(0), (uint64_t)n * SUBSCRIPTION_SIZE);
    uint8_t *out = wasi_mem(w, WASI_ARG32(1), (uint64_t)n * EVENT_SIZE);
    if (!in || !out || !wasi_mem(w, WASI_ARG32(3), 4)) return WASI_EFAULT;
    /* The subscriptions are copied first: `in` and `out` may overlap. */
    uint8_t *subs = malloc((size_t)n * SUBSCRIPTION_SIZE);
    struct pollfd *pfds = malloc((size_t)n * sizeof *pfds);
    uint32_t *which = malloc((size_t)n * sizeof *which); /* subscription of each pollfd */
    if (!subs || !pfds || !which) {
        free(subs);
        free(pfds);
        free(which);
        return WASI_ENOMEM;
    }
    memcpy(subs, in, (size_t)n * SUBSCRIPTION_SIZE);

    uint8_t *next = out;
    uint32_t npfds = 0;
    int64_t timeout = -1; /* ns until the earliest clock, -1 = none */
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = subs + (size_t)i * SUBSCRIPTION_SIZE;
        uint64_t userdata = wasi_load64(s);
        uint8_t tag = s[8];
        if (tag == EVENT_CLOCK) {
            uint32_t id = wasi_load32(s + 16);
            uint64_t t = wasi_load64(s + 24);
            bool absolute = wasi_load32(s + 40) & 1;
            if (id > 3) {
                next = put_event(next, userdata, WASI_EINVAL, EVENT_CLOCK, 0, 0);
                continue;
            }
            int64_t left = t > INT64_MAX ? INT64_MAX : (int64_t)t;
            if (absolute) left -= now_ns(clock_of(id));
            if (left < 0) left = 0;
            if (timeout < 0 || left < timeout) timeout = left;
        } else if (tag == EVENT_FD_READ || tag == EVENT_FD_WRITE) {
            wasi_fd *f;
            uint16_t e = wasi_lookup(w, wasi_load32(s + 16), WASI_RIGHT_POLL_FD_READWRITE, &f);
            if (e) {
                next = put_event(next, userdata, e, tag, 0, 0);
                continue;
            }
            if (f->host == WASI_EMBEDDED) { /* a file of the image: always ready to read */
                next = put_event(next, userdata, tag == EVENT_FD_READ ? 0 : WASI_EBADF, tag,
                                 tag == EVENT_FD_READ ? wasi_embedded_readable(w, f) : 0, 0);
                continue;
            }
            pfds[npfds] = (struct pollfd){f->host, tag == EVENT_FD_READ ? POLLIN : POLLOUT, 0};
            which[npfds++] = i;
        } else {
            next = put_event(next, userdata, WASI_EINVAL, tag, 0, 0);
        }
    }

    /* Wait unless something is already reported; then report what is ready. */
    int64_t wait = next != out ? 0 : timeout;
    int64_t deadline = wait > 0 ? now_ns(CLOCK_MONOTONIC) + wait : 0;
    int ready;
    for (;;) {
        struct timespec ts, *tp = NULL;
        if (wait >= 0) {
            ts = (struct timespec){(time_t)(wait / 1000000000), (long)(wait % 1000000000)};
            tp = &ts;
        }
        ready = ppoll(pfds, npfds, tp, NULL);
        if (ready >= 0 || errno != EINTR) break;
        if (wait > 0) {
            wait = deadline - now_ns(CLOCK_MONOTONIC);
            if (wait < 0) wait = 0;
        }
    }
    uint16_t e = 0;
    if (ready < 0) {
        e = wasi_errno(errno);
    } else {
        for (uint32_t k = 0; k < npfds; k++) {
            if (!pfds[k].revents) continue;
            const uint8_t *s = subs + (size_t)which[k] * SUBSCRIPTION_SIZE;
            uint16_t error = pfds[k].revents & POLLNVAL ? WASI_EBADF
                           : pfds[k].revents & POLLERR  ? WASI_EIO : 0;
            uint16_t flags = pfds[k].revents & POLLHUP ? 1 : 0;
            uint64_t nbytes = s[8] == EVENT_FD_READ && !error ? readable(pfds[k].fd) : 0;
            next = put_event(next, wasi_load64(s), error, s[8], nbytes, flags);
        }
        /* The clocks fire when the wait ran out with nothing else to report. */
        if (next == out && timeout >= 0) {
            for (uint32_t i = 0; i < n; i++) {
                const uint8_t *s = subs + (size_t)i * SUBSCRIPTION_SIZE;
                if (s[8] != EVENT_CLOCK) continue;
                uint64_t t = wasi_load64(s + 24);
                uint32_t id = wasi_load32(s + 16);
                bool absolute = wasi_load32(s + 40) & 1;
                int64_t left = t > INT64_MAX ? INT64_MAX : (int64_t)t;
                if (absolute) left -= now_ns(clock_of(id));
                /* A relative clock fires with the earliest; an absolute one once it is due. */
                if (absolute ? left <= 0 : left <= timeout)
                    next = put_event(next, wasi_load64(s), 0, EVENT_CLOCK, 0, 0);
            }
        }
    }
    free(subs);
    free(pfds);
    free(which);
    return e ? e : wasi_put32(w, WASI_ARG32(3), (uint32_t)((next - out) / EVENT_SIZE));
}

/* ---- sockets ------------------------------------------------------------------------------- */

static uint16_t socket_fd(wasmc_wasi *w, uint32_t fd, uint64_t rights, wasi_fd **out) {
    wasi_fd *f = wasi_slot(w, fd);
    if (!f) return WASI_EBADF;
    if (f->filetype != WASI_FILETYPE_SOCKET_STREAM && f->filetype != WASI_FILETYPE_SOCKET_DGRAM)
        return WASI_ENOTSOCK;
    return wasi_lookup(w, fd, rights, out);
}

uint16_t wasi_sock_accept(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f;
    uint16_t e = socket_fd(w, WASI_ARG32(0), WASI_RIGHT_SOCK_ACCEPT, &f);
    if (e) return e;
    uint32_t flags = WASI_ARG32(1);
    if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK) return WASI_EINVAL;
    if (!wasi_mem(w, WASI_ARG32(2), 4)) return WASI_EFAULT;
    int host;
    do host = accept4(f->host, NULL, NULL, SOCK_CLOEXEC | (flags ? SOCK_NONBLOCK : 0));
    while (host < 0 && errno == EINTR);
    if (host < 0) return wasi_errno(errno);
    uint32_t fd;
    e = wasi_install(w, host, wasi_host_filetype(host), WASI_RIGHTS_SOCKET & ~WASI_RIGHT_SOCK_ACCEPT,
                        0, &fd);
    return e ? e : wasi_put32(w, WASI_ARG32(2), fd);
}

/* sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen*, ro_flags*) and
 * sock_send(fd, si_data, si_data_len, si_flags, so_datalen*). */
static uint16_t sock_transfer(wasmc_wasi *w, const wasmc_value *a, bool send) {
    wasi_fd *f;
    uint16_t e = socket_fd(w, WASI_ARG32(0), send ? WASI_RIGHT_FD_WRITE : WASI_RIGHT_FD_READ, &f);
    if (e) return e;
    uint32_t flags = WASI_ARG32(3);
    if (send ? flags != 0 : (flags & ~3u)) return WASI_EINVAL;
    if (!wasi_mem(w, WASI_ARG32(4), 4) || (!send && !wasi_mem(w, WASI_ARG32(5), 2)))
        return WASI_EFAULT;
    uint32_t n = WASI_ARG32(2);
    if (n > WASI_IOV_MAX) return WASI_EINVAL;
    struct iovec *iov = malloc((n ? n : 1) * sizeof *iov);
    if (!iov) return WASI_ENOMEM;
    e = wasi_iovecs(w, WASI_ARG32(1), n, iov);
    ssize_t done = 0;
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
    if (!e) {
        int host_flags = send ? MSG_NOSIGNAL
                              : (flags & 1 ? MSG_PEEK : 0) | (flags & 2 ? MSG_WAITALL : 0);
        do done = send ? sendmsg(f->host, &msg, host_flags) : recvmsg(f->host, &msg, host_flags);
        while (done < 0 && errno == EINTR);
        if (done < 0) e = wasi_errno(errno);
    }
    free(iov);
    if (e) return e;
    if (!send) {
        uint8_t *ro = wasi_mem(w, WASI_ARG32(5), 2);
        wasi_store16(ro, msg.msg_flags & MSG_TRUNC ? 1 : 0);
    }
    return wasi_put32(w, WASI_ARG32(4), (uint32_t)done);
}

uint16_t wasi_sock_recv(wasmc_wasi *w, const wasmc_value *a) { return sock_transfer(w, a, false); }
uint16_t wasi_sock_send(wasmc_wasi *w, const wasmc_value *a) { return sock_transfer(w, a, true); }

uint16_t wasi_sock_shutdown(wasmc_wasi *w, const wasmc_value *a) {
    wasi_fd *f;
    uint16_t e = socket_fd(w, WASI_ARG32(0), WASI_RIGHT_SOCK_SHUTDOWN, &f);
    if (e) return e;
    static const int how[] = {-1, SHUT_RD, SHUT_WR, SHUT_RDWR};
    uint32_t which = WASI_ARG32(1);
    if (which == 0 || which > 3) return WASI_EINVAL;
    return shutdown(f->host, how[which]) == 0 ? 0 : wasi_errno(errno);
}
