/* lu: in-place LU factorisation without pivoting, A = L U (n x n doubles), L unit lower.
 * Right-looking: for each pivot k, scale column k below it, then update the trailing block
 * row by row (an axpy over row k), so the inner loop is contiguous. The matrix is strictly
 * diagonally dominant, which makes pivoting unnecessary and the factorisation stable. */
#include "bench.h"

#define N_MAX 1500
#define N_SMALL 440
#define N_LARGE 1500

static double A[N_MAX][N_MAX];
static int n;

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(5);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) A[i][j] = bench_rand01();
        A[i][i] += n;
    }
}

void bench_run(void) {
    for (int k = 0; k < n; k++) {
        double pivot = A[k][k];
        for (int i = k + 1; i < n; i++) {
            double l = A[i][k] / pivot;
            A[i][k] = l;
            for (int j = k + 1; j < n; j++) A[i][j] -= l * A[k][j];
        }
    }
}

double bench_checksum(void) { return bench_sum2d(&A[0][0], n, n, N_MAX); }
