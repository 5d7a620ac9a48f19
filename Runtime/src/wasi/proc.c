/* proc.c: arguments, environment, clocks, randomness and the process functions. */
#include "wasi_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* ---- args and environ ---------------------------------------------------------------- */

/* Writes `n` pointers at `ptrs` and the NUL-terminated strings at `buf`. */
static uint16_t put_strings(wasmc_wasi *w, char **strings, uint32_t n, uint32_t bytes,
                            uint32_t ptrs, uint32_t buf) {
    uint8_t *p = wasi_mem(w, ptrs, (uint64_t)n * 4);
    uint8_t *b = wasi_mem(w, buf, bytes);
    if (!p || !b) return WASI_EFAULT;
    uint32_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(strings[i]) + 1;
        wasi_store32(p + 4 * i, buf + at);
        memcpy(b + at, strings[i], len);
        at += (uint32_t)len;
    }
    return 0;
}

static uint16_t put_sizes(wasmc_wasi *w, uint32_t count, uint32_t bytes, uint32_t count_ptr,
                          uint32_t bytes_ptr) {
    uint16_t e = wasi_put32(w, count_ptr, count);
    return e ? e : wasi_put32(w, bytes_ptr, bytes);
}

uint16_t wasi_args_get(wasmc_wasi *w, const wasmc_value *a) {
    return put_strings(w, w->argv, w->argc, w->argv_bytes, WASI_ARG32(0), WASI_ARG32(1));
}

uint16_t wasi_args_sizes_get(wasmc_wasi *w, const wasmc_value *a) {
    return put_sizes(w, w->argc, w->argv_bytes, WASI_ARG32(0), WASI_ARG32(1));
}

uint16_t wasi_environ_get(wasmc_wasi *w, const wasmc_value *a) {
    return put_strings(w, w->env, w->envc, w->env_bytes, WASI_ARG32(0), WASI_ARG32(1));
}

uint16_t wasi_environ_sizes_get(wasmc_wasi *w, const wasmc_value *a) {
    return put_sizes(w, w->envc, w->env_bytes, WASI_ARG32(0), WASI_ARG32(1));
}

/* ---- clocks -------------------------------------------------------------------------- */

/* The host clock of a WASI clock id, or -1. */
static int host_clock(uint32_t id) {
    switch (id) {
    case 0: return CLOCK_REALTIME;
    case 1: return CLOCK_MONOTONIC;
    case 2: return CLOCK_PROCESS_CPUTIME_ID;
    case 3: return CLOCK_THREAD_CPUTIME_ID;
    default: return -1;
    }
}

uint16_t wasi_clock_res_get(wasmc_wasi *w, const wasmc_value *a) {
    int clock = host_clock(WASI_ARG32(0));
    if (clock < 0) return WASI_EINVAL;
    struct timespec t;
    if (clock_getres(clock, &t) != 0) return wasi_errno(errno);
    return wasi_put64(w, WASI_ARG32(1), (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec);
}

uint16_t wasi_clock_time_get(wasmc_wasi *w, const wasmc_value *a) {
    int clock = host_clock(WASI_ARG32(0));
    if (clock < 0) return WASI_EINVAL;
    struct timespec t;
    if (clock_gettime(clock, &t) != 0) return wasi_errno(errno);
    return wasi_put64(w, WASI_ARG32(2), (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec);
}

/* ---- random ---------------------------------------------------------------------------- */

uint16_t wasi_random_get(wasmc_wasi *w, const wasmc_value *a) {
    uint32_t len = WASI_ARG32(1);
    uint8_t *p = wasi_mem(w, WASI_ARG32(0), len);
    if (!p) return WASI_EFAULT;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return wasi_errno(errno);
        p += n;
        len -= (uint32_t)n;
    }
    return 0;
}

/* ---- the process ----------------------------------------------------------------------- */

uint16_t wasi_proc_exit(wasmc_wasi *w, const wasmc_value *a) {
    w->exited = 1;
    w->exit_code = (int)WASI_ARG32(0);
    return WASI_EXIT;
}

/* Sending a signal to the host process would let the guest kill its embedder: refused. */
uint16_t wasi_proc_raise(wasmc_wasi *w, const wasmc_value *a) {
    (void)w;
    (void)a;
    return WASI_ENOSYS;
}

uint16_t wasi_sched_yield(wasmc_wasi *w, const wasmc_value *a) {
    (void)w;
    (void)a;
    sched_yield();
    return 0;
}
