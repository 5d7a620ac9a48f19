/* cholesky: in-place Cholesky factorisation A = U^T U of a symmetric positive definite matrix
 * (n x n doubles), working on the upper triangle of the row-major array.
 * Right-looking: for each k, take the square root of the pivot, scale row k, then subtract
 * the outer product of row k from the trailing upper triangle row by row (contiguous axpy).
 * The matrix is symmetric and strictly diagonally dominant with a positive diagonal, so SPD. */
#include "bench.h"

#define N_MAX 1800
#define N_SMALL 512
#define N_LARGE 1800

static double A[N_MAX][N_MAX];
static int n;

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(6);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++) A[i][j] = A[j][i] = bench_rand01();
        A[i][i] = bench_rand01() + n;
    }
}

void bench_run(void) {
    for (int k = 0; k < n; k++) {
        double d = bench_sqrt(A[k][k]);
        A[k][k] = d;
        for (int j = k + 1; j < n; j++) A[k][j] /= d;
        for (int i = k + 1; i < n; i++) {
            double a = A[k][i];
            for (int j = i; j < n; j++) A[i][j] -= a * A[k][j];
        }
    }
}

double bench_checksum(void) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += bench_sum2d(&A[i][i], 1, n - i, 0) * (1.0 + (i & 7));
    return s;
}
