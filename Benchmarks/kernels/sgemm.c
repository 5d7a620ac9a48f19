/* sgemm: C = A * B for n x n single-precision matrices, plain C.
 * Row-oriented (i, k, j) order, inner loop a contiguous axpy: the auto-vectorizer's case.
 * Same data and the same order of additions as sgemm_simd, so without FMA contraction both
 * give bit-identical results. */
#include "bench.h"

#define N_MAX 1408
#define N_SMALL 480
#define N_LARGE 1408

static float A[N_MAX][N_MAX], B[N_MAX][N_MAX], C[N_MAX][N_MAX];
static int n;

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(20);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            A[i][j] = bench_rand01f() - 0.5f;
            B[i][j] = bench_rand01f() - 0.5f;
            C[i][j] = 0.0f;
        }
}

void bench_run(void) {
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) C[i][j] = 0.0f;
        for (int k = 0; k < n; k++) {
            float a = A[i][k];
            for (int j = 0; j < n; j++) C[i][j] += a * B[k][j];
        }
    }
}

double bench_checksum(void) { return bench_sum2df(&C[0][0], n, n, N_MAX); }
