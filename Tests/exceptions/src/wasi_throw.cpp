// wasi_throw.cpp: C++ exceptions whose path crosses WASI import call sites.
// All output goes through __wasi_fd_write directly (no stdio buffer), so each line is one WASI
// call made exactly where the program is when it prints.
//   1. a failing import (fd_write to a closed descriptor) turned into an exception right after
//      the call, unwinding five frames that each made fd_write calls and hold a guard whose
//      destructor calls fd_write while the exception passes
//   2. an exception thrown from a comparison callback inside wasi-libc's qsort (C frames built
//      without exception tables) after the callback itself wrote through fd_write
//   3. an exception thrown while a successful import's result is being checked
//      (fd_prestat_get on descriptors 3..: no directory is preopened, so it ends with EBADF),
//      and a handler that loops over fd_write and throws again from inside that loop
//   4. proc_exit called from inside a handler, with the exception still alive: exit status 3.
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <wasi/api.h>

extern "C" int wasmc_eh_live();

struct WasiError {
    __wasi_errno_t code;
    const char* call;
};

static void write_raw(__wasi_fd_t fd, const char* text) {
    __wasi_ciovec_t iov = {reinterpret_cast<const uint8_t*>(text), strlen(text)};
    __wasi_size_t written = 0;
    __wasi_errno_t err = __wasi_fd_write(fd, &iov, 1, &written);
    if (err != __WASI_ERRNO_SUCCESS) throw WasiError{err, "fd_write"};
    if (written != iov.buf_len) throw WasiError{__WASI_ERRNO_IO, "fd_write (short)"};
}

[[gnu::format(printf, 1, 2)]] static void say(const char* format, ...) {
    char line[160];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    write_raw(1, line);
}

// ---- 1. a failing import, five frames of guards that write while unwinding -----------------

struct Guard {
    int level;
    explicit Guard(int level) : level(level) {}
    ~Guard() { say("  guard %d released\n", level); }
};

[[gnu::noinline]] static int descend(int level, __wasi_fd_t bad_fd) {
    say("  level %d entered\n", level);
    Guard guard(level);
    if (level == 5) {
        write_raw(bad_fd, "this never arrives\n");
        return 0;
    }
    return descend(level + 1, bad_fd) + 1;
}

static void failing_import() {
    say("1. failing import:\n");
    try {
        descend(1, 99);
        say("  never\n");
    } catch (const WasiError& e) {
        say("  caught %s errno %d (EBADF is %d), live %d\n", e.call, int(e.code), int(__WASI_ERRNO_BADF), wasmc_eh_live());
    }
}

// ---- 2. through qsort ------------------------------------------------------------------------

static int comparisons = 0;

struct Poisoned {
    int value;
};

static int compare(const void* a, const void* b) {
    int x = *static_cast<const int*>(a);
    int y = *static_cast<const int*>(b);
    ++comparisons;
    if (x == 13 || y == 13) {
        say("  comparison %d met 13\n", comparisons);
        throw Poisoned{13};
    }
    return (x > y) - (x < y);
}

static void through_qsort() {
    say("2. through qsort:\n");
    int values[24];
    for (int i = 0; i < 24; ++i) values[i] = (i * 7 + 3) % 24;  // a permutation of 0..23
    try {
        qsort(values, 24, sizeof values[0], [](const void* a, const void* b) -> int { return compare(a, b); });
        say("  never\n");
    } catch (const Poisoned& p) {
        int sum = 0, product_check = 0;
        for (int v : values) sum += v, product_check ^= v;
        say("  caught poisoned %d; the array still holds 0..23: %s\n", p.value, sum == 276 && product_check == 0 ? "yes" : "no");
    }
    comparisons = 0;
    for (int i = 0; i < 24; ++i) values[i] = (i * 5 + 1) % 24;
    for (int& v : values)
        if (v == 13) v = 12;  // no poison this time: sorts fully
    qsort(values, 24, sizeof values[0], [](const void* a, const void* b) -> int { return compare(a, b); });
    bool sorted = true;
    for (int i = 1; i < 24; ++i) sorted = sorted && values[i - 1] <= values[i];
    say("  second sort without poison: sorted %s\n", sorted ? "yes" : "no");
}

// ---- 3. checking an import's result, throwing from a writing loop ----------------------------

struct NoPreopen {
    __wasi_fd_t fd;
    __wasi_errno_t code;
};

[[gnu::noinline]] static int count_preopens() {
    int count = 0;
    for (__wasi_fd_t fd = 3;; ++fd) {
        __wasi_prestat_t prestat;
        __wasi_errno_t err = __wasi_fd_prestat_get(fd, &prestat);
        if (err != __WASI_ERRNO_SUCCESS) {
            if (count == 0) throw NoPreopen{fd, err};
            return count;
        }
        ++count;
    }
}

[[gnu::noinline]] static void report_lines(int n) {
    for (int i = 1; i <= n; ++i) {
        say("  line %d of %d\n", i, n);
        if (i == 3) throw WasiError{__WASI_ERRNO_CANCELED, "report_lines"};
    }
}

static void checking_results() {
    say("3. checking results:\n");
    try {
        int n = count_preopens();
        say("  %d preopened directories (none expected)\n", n);
    } catch (const NoPreopen& e) {
        say("  no preopen: fd_prestat_get(%d) gave errno %d\n", int(e.fd), int(e.code));
        try {
            report_lines(5);
        } catch (const WasiError& inner) {
            say("  inner: %s errno %d, live %d\n", inner.call, int(inner.code), wasmc_eh_live());
        }
    }
    say("  live %d\n", wasmc_eh_live());
}

// ---- 4. proc_exit from a handler -------------------------------------------------------------

[[noreturn]] static void exit_from_handler() {
    say("4. exit from a handler:\n");
    try {
        Guard guard(6);
        throw WasiError{__WASI_ERRNO_NOTCAPABLE, "final"};
    } catch (const WasiError& e) {
        say("  exiting with status 3 while '%s' is alive (live %d)\n", e.call, wasmc_eh_live());
        __wasi_proc_exit(3);
    }
}

int main() {
    failing_import();
    through_qsort();
    checking_results();
    exit_from_handler();
}
