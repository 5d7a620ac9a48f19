// wasm-flags: -O3
/* Loops of the shapes clang -O3 unrolls (two or four copies per iteration, remainder loops in
 * front), for wasmc's loop rolling and vectorization: reductions (float in order, min/max,
 * integer), loops with a variable start, loop-carried dependences through memory in both
 * directions, values carried to the next iteration, overlapping arrays, narrow types, strides,
 * gathers, running sums, conditionals.
 * Each kernel runs on 12 inputs of different lengths and offsets (odd and even trip counts);
 * one line per kernel gives an FNV-1a hash of its results and of the arrays it wrote. The
 * expected output is the same on every machine (IEEE arithmetic, no contraction in wasm), and
 * loops_simd.c runs the same source built with -msimd128. */
#include <stdint.h>
#include <stdio.h>

#define N 1000
static double A[N + 8], B[N + 8], C[N + 8];
static float F[N + 8], G[N + 8];
static int32_t I[N + 8], J[N + 8];
static int16_t S[N + 8];
static uint8_t U[N + 8];
static int64_t L[N + 8];

static uint32_t hash;
static void mix(uint64_t v) {
    for (int k = 0; k < 8; k++) {
        hash ^= (uint8_t)(v >> (8 * k));
        hash *= 16777619u;
    }
}
static void mixd(double d) {
    union { double d; uint64_t u; } x = {d};
    mix(x.u);
}
static void mixf(float f) {
    union { float f; uint32_t u; } x = {f};
    mix(x.u);
}
static void mixArrays(void) {
    for (int i = 0; i < N + 8; i++) {
        mixd(A[i]), mixd(B[i]), mixd(C[i]), mixf(F[i]), mixf(G[i]);
        mix((uint32_t)I[i]), mix((uint32_t)J[i]), mix((uint16_t)S[i]), mix(U[i]), mix((uint64_t)L[i]);
    }
}

static void init(int seed) {
    uint32_t s = (uint32_t)seed * 2654435761u + 1;
    for (int i = 0; i < N + 8; i++) {
        s = s * 1103515245u + 12345u;
        A[i] = (double)(s >> 8) / 16777216.0 - 0.5;
        B[i] = (double)(s % 1000) / 7.0;
        C[i] = 0;
        F[i] = (float)A[i] * 3.0f;
        G[i] = (float)B[i];
        I[i] = (int32_t)s;
        J[i] = (int32_t)(s >> 3);
        S[i] = (int16_t)s;
        U[i] = (uint8_t)(s >> 5);
        L[i] = (int64_t)s * 7919;
    }
}

#define KERNEL __attribute__((noinline)) static
KERNEL double dot(int n, int o) { double s = 0; for (int i = o; i < n; i++) s += A[i] * B[i]; return s; }
KERNEL float fmaxr(int n) { float m = -1e30f; for (int i = 0; i < n; i++) m = F[i] > m ? F[i] : m; return m; }
KERNEL int32_t imin(int n) { int32_t m = INT32_MAX; for (int i = 0; i < n; i++) m = I[i] < m ? I[i] : m; return m; }
KERNEL int32_t isum(int n) { int32_t s = 0; for (int i = 0; i < n; i++) s += I[i] ^ J[i]; return s; }
KERNEL int64_t horner(int n) { int64_t s = 1; for (int i = 0; i < n; i++) s = s * 3 + L[i]; return s; }
KERNEL void axpy(int n, int o, double a) { for (int i = o; i < n; i++) C[i] += a * A[i]; }
KERNEL void carried(int n) { for (int i = 1; i < n; i++) A[i] = A[i - 1] * 0.5 + B[i]; }
KERNEL void ahead(int n) { for (int i = 0; i < n; i++) B[i] = B[i + 1] + A[i]; }
KERNEL void backwards(int n) { for (int i = n - 1; i >= 0; i--) C[i] = A[i] - C[i + 1]; }
KERNEL void strided(int n) { for (int i = 0; i < n / 2; i++) F[2 * i] = G[2 * i + 1] * 2.0f; }
KERNEL void bytes(int n) { for (int i = 0; i < n; i++) U[i] = (uint8_t)(U[i] * 3 + S[i]); }
KERNEL void shorts(int n) { for (int i = 0; i < n; i++) S[i] = (int16_t)(S[i] + (S[i] >> 3)); }
KERNEL void gather(int n) { for (int i = 0; i < n; i++) J[i] = I[(U[i] * 3) % N]; }
KERNEL void overlap(int n, int d) { for (int i = 0; i < n; i++) A[i + d] = A[i] + 1.0; }
KERNEL double running(int n) { double s = 0; for (int i = 0; i < n; i++) { s += A[i]; C[i] = s; } return s; }
KERNEL int32_t branchy(int n) { int32_t c = 0; for (int i = 0; i < n; i++) c += I[i] > J[i] ? 3 : -1; return c; }
KERNEL void two(int n) { for (int i = 0; i < n; i++) { A[i] = B[i] * 2; C[i] = A[i] + B[i + 1]; } }
KERNEL void every3(int n) { for (int i = 0; i < n; i += 3) I[i] = J[i] + I[i + 1]; }
KERNEL void scale(int n, float k) { for (int i = 0; i < n; i++) F[i] = G[i] * k + F[i]; }
KERNEL double diffs(int n) { double prev = A[0]; for (int i = 1; i < n; i++) { double x = A[i]; C[i] = x - prev; prev = x; } return prev; }

#define RUN(name, ...)                                                                            \
    do {                                                                                          \
        hash = 2166136261u;                                                                       \
        for (int t = 0; t < 12; t++) {                                                            \
            init(t);                                                                              \
            int n = 900 + t * 7 + (t & 1), o = t % 3, d = t % 4;                                  \
            (void)n, (void)o, (void)d;                                                            \
            __VA_ARGS__;                                                                          \
            mixArrays();                                                                          \
        }                                                                                         \
        printf("%-10s %08x\n", name, hash);                                                       \
    } while (0)

int main(void) {
    RUN("dot", mixd(dot(n, o)));
    RUN("fmax", mixf(fmaxr(n)));
    RUN("imin", mix((uint32_t)imin(n)));
    RUN("isum", mix((uint32_t)isum(n)));
    RUN("horner", mix((uint64_t)horner(n)));
    RUN("axpy", axpy(n, o, 1.5));
    RUN("carried", carried(n));
    RUN("ahead", ahead(n));
    RUN("backwards", backwards(n));
    RUN("strided", strided(n));
    RUN("bytes", bytes(n));
    RUN("shorts", shorts(n));
    RUN("gather", gather(n));
    RUN("overlap", overlap(n - 8, d));
    RUN("running", mixd(running(n)));
    RUN("branchy", mix((uint32_t)branchy(n)));
    RUN("two", two(n));
    RUN("every3", every3(n));
    RUN("scale", scale(n, 0.75f));
    RUN("diffs", mixd(diffs(n)));
    return 0;
}
