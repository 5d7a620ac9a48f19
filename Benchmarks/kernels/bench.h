/*
 * bench.h: the contract every benchmark kernel implements, and the helpers they share.
 *
 * A kernel is one C file that includes this header and defines the three functions declared
 * below. The same file builds natively (a shared object loaded with dlopen/ctypes) and to
 * WebAssembly (a module with no imports that any engine runs without a host). See
 * Benchmarks/README.md for the build and for what the harness may assume.
 *
 * Nothing here uses libc: the wasm modules link with -nostdlib, so only clang's freestanding
 * headers (stdint.h, stddef.h, wasm_simd128.h, immintrin.h, arm_neon.h) are available, and
 * math is either a builtin that maps to one instruction (sqrt) or written here (exp).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

/* ---- Exports ------------------------------------------------------------------------------ */

/* Exported under NAME: a wasm export (export_name) or a default-visibility native symbol. */
#if defined(__wasm__)
#define BENCH_EXPORT(name) __attribute__((export_name(#name)))
#else
#define BENCH_EXPORT(name) __attribute__((visibility("default")))
#endif

/* The sizes bench_init accepts. Anything else is treated as BENCH_LARGE. */
#define BENCH_SMALL 0 /* ~5-30 ms natively: for interpreters */
#define BENCH_LARGE 1 /* ~0.2-1 s natively */

/* (Re)initializes every input and output of the kernel deterministically for the given size.
 * Not timed. After it, bench_run() followed by bench_checksum() always gives the same value. */
BENCH_EXPORT(bench_init) void bench_init(int32_t size);
/* The timed work: one full run of the kernel on the initialized data. */
BENCH_EXPORT(bench_run) void bench_run(void);
/* A position-weighted sum of the results, to compare engines. */
BENCH_EXPORT(bench_checksum) double bench_checksum(void);

/* Picks the small or the large value of a size parameter. */
#define BENCH_PICK(size, small, large) ((size) == BENCH_SMALL ? (small) : (large))

/* ---- Deterministic pseudo-random numbers -------------------------------------------------- */

/* xorshift32 (Marsaglia 2003). One stream per kernel, reset by bench_seed in bench_init. */
static uint32_t bench_rng_state = 2463534242u;

static inline void bench_seed(uint32_t seed) {
    bench_rng_state = seed ? seed : 2463534242u;
}

static inline uint32_t bench_rand_u32(void) {
    uint32_t x = bench_rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    bench_rng_state = x;
    return x;
}

/* Uniform in [0, 1) with 24 random bits, so the value is exact as a float and as a double. */
static inline double bench_rand01(void) {
    return (double)(bench_rand_u32() >> 8) * (1.0 / 16777216.0);
}

static inline float bench_rand01f(void) {
    return (float)(bench_rand_u32() >> 8) * (1.0f / 16777216.0f);
}

/* Uniform integer in [0, n). */
static inline int32_t bench_rand_below(int32_t n) {
    return (int32_t)(bench_rand_u32() % (uint32_t)n);
}

/* ---- Math without libm -------------------------------------------------------------------- */

static inline double bench_sqrt(double x) { return __builtin_sqrt(x); }   /* f64.sqrt / sqrtsd */
static inline float bench_sqrtf(float x) { return __builtin_sqrtf(x); }   /* f32.sqrt / sqrtss */

/*
 * e^x in single precision, within 3 ulp over the clamped range, with no table and no branches
 * that depend on data (so loops over it vectorize). x is clamped to [-87, 88]; NaN is not
 * expected. Method: x = k ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact k ln2),
 * e^r by its degree-6 Taylor polynomial, 2^k built in the exponent bits.
 * Results may differ in the last bit between engines that contract the polynomial into FMAs
 * (native -march=native does) and those that do not (WebAssembly has no scalar FMA).
 */
static inline float bench_expf(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    /* k = round(x / ln2); the +128.5 offset keeps the operand positive so truncation floors. */
    int32_t k = (int32_t)(x * 1.44269504088896341f + 128.5f) - 128;
    float kf = (float)k;
    float r = x - kf * 0.693145751953125f;      /* ln2 high part: k * it is exact */
    r = r - kf * 1.428606765330187e-06f;        /* ln2 low part */
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union { uint32_t u; float f; } scale;
    scale.u = (uint32_t)(k + 127) << 23;       /* k in [-126, 127] after the clamp */
    return p * scale.f;
}

/* ---- Checksums ---------------------------------------------------------------------------- */

/* The weight of element (i, j): 1 + ((3i + 5j) mod 16) / 16, exact in binary, so a checksum
 * tells a transposed or shifted result from the right one, not only a wrong sum. */
static inline double bench_weight(int64_t i, int64_t j) {
    return 1.0 + (double)((3 * i + 5 * j) & 15) * (1.0 / 16.0);
}

/* Weighted sum of a rows x cols block of doubles whose rows are `stride` elements apart. */
static inline double bench_sum2d(const double *a, int64_t rows, int64_t cols, int64_t stride) {
    double s = 0.0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            s += a[i * stride + j] * bench_weight(i, j);
    return s;
}

static inline double bench_sum2df(const float *a, int64_t rows, int64_t cols, int64_t stride) {
    double s = 0.0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            s += (double)a[i * stride + j] * bench_weight(i, j);
    return s;
}

/* Integers are summed exactly in 64 bits, with integer weights 1..16. */
static inline double bench_sum2di(const int32_t *a, int64_t rows, int64_t cols, int64_t stride) {
    int64_t s = 0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++)
            s += (int64_t)a[i * stride + j] * (1 + ((3 * i + 5 * j) & 15));
    return (double)s;
}

/* ---- Freestanding support for wasm -------------------------------------------------------- */

#if defined(__wasm__)
/* LLVM may turn a zeroing or copying loop into a call to memset/memcpy; without libc these
 * definitions resolve it inside the module (LLVM never turns a function named memset or
 * memcpy into a call to itself). The linker drops them when unused. */
void *memset(void *dst, int c, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--) *d++ = *s++;
    return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (d < s) while (n--) *d++ = *s++;
    else while (n--) d[n] = s[n];
    return dst;
}
#endif

#endif /* BENCH_H */
