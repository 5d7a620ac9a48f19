/* gemm: C = alpha * A * B + beta * C, all n x n doubles.
 * Row-oriented (i, k, j) order: the inner loop is an axpy over a row of B and a row of C,
 * contiguous in memory, which the loop vectorizer handles. */
#include "bench.h"

#define N_MAX 1152
#define N_SMALL 320
#define N_LARGE 1152

static double A[N_MAX][N_MAX], B[N_MAX][N_MAX], C[N_MAX][N_MAX];
static int n;
static const double alpha = 1.5, beta = 1.2;

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(1);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            A[i][j] = bench_rand01() - 0.5;
            B[i][j] = bench_rand01() - 0.5;
            C[i][j] = bench_rand01();
        }
}

void bench_run(void) {
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) C[i][j] *= beta;
        for (int k = 0; k < n; k++) {
            double a = alpha * A[i][k];
            for (int j = 0; j < n; j++) C[i][j] += a * B[k][j];
        }
    }
}

double bench_checksum(void) { return bench_sum2d(&C[0][0], n, n, N_MAX); }
