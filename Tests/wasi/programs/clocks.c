// wasm-flags: -D_WASI_EMULATED_PROCESS_CLOCKS -lwasi-emulated-process-clocks
/* Clocks: realtime is plausible, monotonic does not go back, resolutions are positive, sleeping
 * (nanosleep, i.e. poll_oneoff on a clock) waits at least as long as asked, CPU time moves. */
#include <stdio.h>
#include <time.h>
#include <sched.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    struct timespec t, r, a, b;
    clock_gettime(CLOCK_REALTIME, &t);
    printf("realtime after 2020: %s\n", t.tv_sec > 1577836800 ? "yes" : "no");
    int ok = 1;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 1000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (ns(b) < ns(a)) ok = 0;
        a = b;
    }
    printf("monotonic never goes back: %s\n", ok ? "yes" : "no");
    const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
    for (int i = 0; i < 2; i++) {
        int rc = clock_getres(clocks[i], &r);
        printf("clock %d resolution positive: %s\n", i, rc == 0 && ns(r) > 0 && ns(r) <= 1000000000 ? "yes" : "no");
    }
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec nap = {0, 20 * 1000000};
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long slept = ns(b) - ns(a);
    printf("slept at least 20ms: %s\n", slept >= 20000000 ? "yes" : "no");
    printf("slept less than 2s: %s\n", slept < 2000000000 ? "yes" : "no");
    /* An absolute sleep on the monotonic clock. */
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec until = a;
    until.tv_nsec += 10 * 1000000;
    if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("absolute sleep reached its time: %s\n", ns(b) >= ns(until) ? "yes" : "no");
    volatile unsigned long x = 0;
    clock_t c0 = clock();
    for (unsigned long i = 0; i < 50000000; i++) x += i;
    clock_t c1 = clock();
    printf("cpu time moves: %s\n", c1 > c0 ? "yes" : "no");
    printf("sched_yield: %d\n", sched_yield());
    return 0;
}
