/* sgemm_simd: C = A * B for n x n single-precision matrices with explicit 128-bit SIMD.
 *
 * One algorithm, written once over a 4 x float vector type `vf4`, which maps to:
 *   WebAssembly with -msimd128: wasm_simd128.h (v128_t, f32x4 mul/add)
 *   x86-64:                     SSE intrinsics (__m128, _mm_mul_ps/_mm_add_ps) only
 *   aarch64:                    NEON (float32x4_t, vmulq_f32/vaddq_f32)
 *   anything else (wasm without -msimd128): a plain struct of 4 floats
 * so the native twin and the wasm module run the same loads, multiplies and adds with the same
 * blocking. Multiply and add stay separate (no FMA), as WebAssembly 2.0 SIMD has none.
 *
 * Blocking: columns in panels of NC, the k dimension in blocks of KC (the KC x NC panel of B
 * stays in L2, a KC x 8 sliver in L1), and a 4 x 8 register tile of C (8 vector accumulators)
 * per micro-kernel call. Additions into each C[i][j] happen in increasing k, as in sgemm.c,
 * which has the same data: without FMA contraction the two give bit-identical checksums. */
#include "bench.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
typedef v128_t vf4;
#define VF4_LOAD(p) wasm_v128_load(p)
#define VF4_STORE(p, v) wasm_v128_store((p), (v))
#define VF4_SPLAT(x) wasm_f32x4_splat(x)
#define VF4_MUL(a, b) wasm_f32x4_mul((a), (b))
#define VF4_ADD(a, b) wasm_f32x4_add((a), (b))
#elif defined(__x86_64__) || defined(__SSE2__)
#include <immintrin.h>
typedef __m128 vf4;
#define VF4_LOAD(p) _mm_loadu_ps(p)
#define VF4_STORE(p, v) _mm_storeu_ps((p), (v))
#define VF4_SPLAT(x) _mm_set1_ps(x)
#define VF4_MUL(a, b) _mm_mul_ps((a), (b))
#define VF4_ADD(a, b) _mm_add_ps((a), (b))
#elif defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>
typedef float32x4_t vf4;
#define VF4_LOAD(p) vld1q_f32(p)
#define VF4_STORE(p, v) vst1q_f32((p), (v))
#define VF4_SPLAT(x) vdupq_n_f32(x)
#define VF4_MUL(a, b) vmulq_f32((a), (b))
#define VF4_ADD(a, b) vaddq_f32((a), (b))
#else
typedef struct { float f[4]; } vf4;
static inline vf4 vf4_load(const float *p) { vf4 v = {{p[0], p[1], p[2], p[3]}}; return v; }
static inline void vf4_store(float *p, vf4 v) { for (int l = 0; l < 4; l++) p[l] = v.f[l]; }
static inline vf4 vf4_splat(float x) { vf4 v = {{x, x, x, x}}; return v; }
static inline vf4 vf4_mul(vf4 a, vf4 b) {
    for (int l = 0; l < 4; l++) a.f[l] *= b.f[l];
    return a;
}
static inline vf4 vf4_add(vf4 a, vf4 b) {
    for (int l = 0; l < 4; l++) a.f[l] += b.f[l];
    return a;
}
#define VF4_LOAD(p) vf4_load(p)
#define VF4_STORE(p, v) vf4_store((p), (v))
#define VF4_SPLAT(x) vf4_splat(x)
#define VF4_MUL(a, b) vf4_mul((a), (b))
#define VF4_ADD(a, b) vf4_add((a), (b))
#endif

#define N_MAX 1408
#define N_SMALL 480 /* n must be a multiple of 8 */
#define N_LARGE 1408
#define KC 128
#define NC 256

static float A[N_MAX][N_MAX], B[N_MAX][N_MAX], C[N_MAX][N_MAX];
static int n;

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(20); /* the same data as sgemm.c */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            A[i][j] = bench_rand01f() - 0.5f;
            B[i][j] = bench_rand01f() - 0.5f;
            C[i][j] = 0.0f;
        }
}

/* C[i..i+4][j..j+8] += A[i..i+4][k0..k1] * B[k0..k1][j..j+8] */
static inline void tile_4x8(int i, int j, int k0, int k1) {
    float *c0 = &C[i][j], *c1 = &C[i + 1][j], *c2 = &C[i + 2][j], *c3 = &C[i + 3][j];
    vf4 c00 = VF4_LOAD(c0), c01 = VF4_LOAD(c0 + 4);
    vf4 c10 = VF4_LOAD(c1), c11 = VF4_LOAD(c1 + 4);
    vf4 c20 = VF4_LOAD(c2), c21 = VF4_LOAD(c2 + 4);
    vf4 c30 = VF4_LOAD(c3), c31 = VF4_LOAD(c3 + 4);
    for (int k = k0; k < k1; k++) {
        vf4 b0 = VF4_LOAD(&B[k][j]), b1 = VF4_LOAD(&B[k][j + 4]);
        vf4 a;
        a = VF4_SPLAT(A[i][k]);
        c00 = VF4_ADD(c00, VF4_MUL(a, b0));
        c01 = VF4_ADD(c01, VF4_MUL(a, b1));
        a = VF4_SPLAT(A[i + 1][k]);
        c10 = VF4_ADD(c10, VF4_MUL(a, b0));
        c11 = VF4_ADD(c11, VF4_MUL(a, b1));
        a = VF4_SPLAT(A[i + 2][k]);
        c20 = VF4_ADD(c20, VF4_MUL(a, b0));
        c21 = VF4_ADD(c21, VF4_MUL(a, b1));
        a = VF4_SPLAT(A[i + 3][k]);
        c30 = VF4_ADD(c30, VF4_MUL(a, b0));
        c31 = VF4_ADD(c31, VF4_MUL(a, b1));
    }
    VF4_STORE(c0, c00); VF4_STORE(c0 + 4, c01);
    VF4_STORE(c1, c10); VF4_STORE(c1 + 4, c11);
    VF4_STORE(c2, c20); VF4_STORE(c2 + 4, c21);
    VF4_STORE(c3, c30); VF4_STORE(c3 + 4, c31);
}

void bench_run(void) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) C[i][j] = 0.0f;
    for (int jc = 0; jc < n; jc += NC) {
        int jend = jc + NC < n ? jc + NC : n;
        for (int kc = 0; kc < n; kc += KC) {
            int kend = kc + KC < n ? kc + KC : n;
            for (int i = 0; i < n; i += 4)
                for (int j = jc; j < jend; j += 8) tile_4x8(i, j, kc, kend);
        }
    }
}

double bench_checksum(void) { return bench_sum2df(&C[0][0], n, n, N_MAX); }
