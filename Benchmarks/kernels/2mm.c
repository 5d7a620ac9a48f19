/* 2mm: two chained matrix products, D = alpha * (A * B) * C + beta * D (n x n doubles).
 * Each product is row-oriented (i, k, j) so the inner loop is a contiguous axpy. */
#include "bench.h"

#define N_MAX 900
#define N_SMALL 256
#define N_LARGE 900

static double A[N_MAX][N_MAX], B[N_MAX][N_MAX], C[N_MAX][N_MAX], D[N_MAX][N_MAX];
static double T[N_MAX][N_MAX];
static int n;
static const double alpha = 0.75, beta = 1.25;

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(2);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            A[i][j] = bench_rand01() - 0.5;
            B[i][j] = bench_rand01() - 0.5;
            C[i][j] = bench_rand01() - 0.5;
            D[i][j] = bench_rand01();
            T[i][j] = 0.0;
        }
}

void bench_run(void) {
    /* T = alpha * A * B */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) T[i][j] = 0.0;
        for (int k = 0; k < n; k++) {
            double a = alpha * A[i][k];
            for (int j = 0; j < n; j++) T[i][j] += a * B[k][j];
        }
    }
    /* D = T * C + beta * D */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) D[i][j] *= beta;
        for (int k = 0; k < n; k++) {
            double t = T[i][k];
            for (int j = 0; j < n; j++) D[i][j] += t * C[k][j];
        }
    }
}

double bench_checksum(void) { return bench_sum2d(&D[0][0], n, n, N_MAX); }
