/* resolve.c: the capability sandbox. Guest paths are resolved here one component at a time from
 * a directory fd, never by handing a path with '/' to the kernel:
 *   - every directory on the way is opened with O_NOFOLLOW | O_DIRECTORY relative to the one
 *     before, and kept on a stack;
 *   - `..` pops the stack, and popping the starting directory is refused (ENOTCAPABLE);
 *   - a symbolic link is read with readlinkat and its target spliced in front of the rest of the
 *     path; an absolute target is refused, a relative one goes through the same rules, so a
 *     link (or a chain of them) can never climb out; more than WASI_MAX_LINKS links is ELOOP;
 *   - absolute guest paths are refused (wasi-libc strips the preopen's prefix itself).
 * The caller then works on the final (directory fd, name) pair with the *at system calls and
 * O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, so the kernel never follows a link the resolver has not
 * checked. This needs nothing beyond POSIX *at calls (no openat2, no RESOLVE_BENEATH), so it
 * behaves the same on every Linux and under qemu-user. */
#include "wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#define WASI_MAX_LINKS 40

#ifdef O_PATH
#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#else
#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#endif

typedef struct stack {
    int *fds; /* fds[0] is the starting directory, not ours */
    size_t n, cap;
} stack;

static int top(const stack *s) { return s->fds[s->n - 1]; }

static bool push(stack *s, int fd) {
    if (s->n == s->cap) {
        size_t cap = s->cap * 2;
        int *fds = realloc(s->fds, cap * sizeof *fds);
        if (!fds) return false;
        s->fds = fds;
        s->cap = cap;
    }
    s->fds[s->n++] = fd;
    return true;
}

static void clear(stack *s, size_t keep) {
    while (s->n > keep) {
        s->n--;
        if (s->n > 0) close(s->fds[s->n]);
    }
}

uint16_t wasi_resolve(int dirfd, const char *path, size_t len, bool follow, wasi_path *out) {
    if (len == 0) return WASI_ENOENT;
    if (memchr(path, '\0', len)) return WASI_EILSEQ;
    if (path[0] == '/') return WASI_ENOTCAPABLE;
    if (len >= PATH_MAX) return WASI_ENAMETOOLONG;

    /* `rest` holds what is left to resolve; links are spliced in front of it. */
    char *rest = malloc(2 * PATH_MAX), *link = malloc(PATH_MAX);
    stack s = {malloc(16 * sizeof(int)), 0, 16};
    uint16_t e = 0;
    if (!rest || !link || !s.fds) {
        e = WASI_ENOMEM;
        goto done;
    }
    s.fds[s.n++] = dirfd;
    memcpy(rest, path, len);
    rest[len] = '\0';
    size_t at = 0;
    unsigned links = 0;

    for (;;) {
        while (rest[at] == '/') at++;
        /* The next component is rest[at, end); `last` if only slashes follow it. */
        size_t end = at;
        while (rest[end] && rest[end] != '/') end++;
        size_t after = end;
        while (rest[after] == '/') after++;
        bool last = rest[after] == '\0';
        bool slash = end < after;
        size_t clen = end - at;
        char name[256];
        if (clen >= sizeof name) {
            e = WASI_ENAMETOOLONG;
            goto done;
        }
        memcpy(name, rest + at, clen);
        name[clen] = '\0';
        at = after;

        if (clen == 0 || strcmp(name, ".") == 0) { /* "" only when the path was all slashes */
            if (last) {
                strcpy(out->name, ".");
                out->trailing_slash = true;
                break;
            }
            continue;
        }
        if (strcmp(name, "..") == 0) {
            if (s.n == 1) {
                e = WASI_ENOTCAPABLE;
                goto done;
            }
            clear(&s, s.n - 1);
            if (last) {
                strcpy(out->name, ".");
                out->trailing_slash = true;
                break;
            }
            continue;
        }

        /* A link is followed when more comes after it, or when it is last and the caller (or a
         * trailing slash) asks for that. */
        if (!last || slash || follow) {
            ssize_t n = readlinkat(top(&s), name, link, PATH_MAX);
            if (n >= 0) {
                if (++links > WASI_MAX_LINKS) {
                    e = WASI_ELOOP;
                    goto done;
                }
                if (n == 0 || n >= PATH_MAX) {
                    e = n ? WASI_ENAMETOOLONG : WASI_ENOENT;
                    goto done;
                }
                if (link[0] == '/') {
                    e = WASI_ENOTCAPABLE;
                    goto done;
                }
                /* rest = link + "/" + rest[at...] (the slash keeps a trailing one meaningful). */
                size_t tail = strlen(rest + at);
                if ((size_t)n + 1 + tail >= 2 * PATH_MAX) {
                    e = WASI_ENAMETOOLONG;
                    goto done;
                }
                memmove(rest + n + 1, rest + at, tail + 1);
                memcpy(rest, link, (size_t)n);
                rest[n] = slash || tail ? '/' : '\0';
                at = 0;
                continue;
            }
            if (errno != EINVAL && errno != ENOENT) { /* EINVAL: not a link */
                e = wasi_errno(errno);
                goto done;
            }
            if (!last) {
                int fd = openat(top(&s), name, DIR_FLAGS);
                if (fd < 0) {
                    e = wasi_errno(errno == ELOOP ? ENOTDIR : errno);
                    goto done;
                }
                if (!push(&s, fd)) {
                    close(fd);
                    e = WASI_ENOMEM;
                    goto done;
                }
                continue;
            }
        }
        memcpy(out->name, name, clen + 1);
        out->trailing_slash = slash;
        break;
    }
    /* The directory holding the last component: the top of the stack, which the caller owns
     * unless it is the starting fd. */
    out->dir = top(&s);
    out->owned = s.n > 1;
    if (out->owned) s.n--;
    clear(&s, 0);
done:
    if (e) clear(&s, 0);
    free(s.fds);
    free(rest);
    free(link);
    return e;
}

void wasi_path_close(wasi_path *p) {
    if (p->owned) close(p->dir);
    p->owned = false;
    p->dir = -1;
}
