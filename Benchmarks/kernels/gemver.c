/* gemver: rank-2 update then two matrix-vector products, repeated `reps` times (n x n doubles).
 *   A = A + u1 v1^T + u2 v2^T;  x = x + beta A^T y + z;  w = w + alpha A x
 * Memory-bound: each repetition streams A three times. A^T y is computed row by row of A
 * (x += beta * A[j][.] * y[j]) so its inner loop is contiguous; A x is a dot product per row. */
#include "bench.h"

#define N_MAX 2000
#define N_SMALL 800
#define N_LARGE 2000
#define REPS_SMALL 6
#define REPS_LARGE 32

static double A[N_MAX][N_MAX];
static double u1[N_MAX], v1[N_MAX], u2[N_MAX], v2[N_MAX];
static double w[N_MAX], x[N_MAX], y[N_MAX], z[N_MAX];
static int n, reps;
static const double alpha = 0.5, beta = 0.25;

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    reps = BENCH_PICK(size, REPS_SMALL, REPS_LARGE);
    bench_seed(4);
    double scale = 1.0 / n;
    for (int i = 0; i < n; i++) {
        u1[i] = bench_rand01() * scale;
        v1[i] = bench_rand01() - 0.5;
        u2[i] = bench_rand01() * scale;
        v2[i] = bench_rand01() - 0.5;
        y[i] = bench_rand01() - 0.5;
        z[i] = bench_rand01() * scale;
        x[i] = 0.0;
        w[i] = 0.0;
        for (int j = 0; j < n; j++) A[i][j] = (bench_rand01() - 0.5) * scale;
    }
}

void bench_run(void) {
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < n; i++) {
            double a = u1[i], b = u2[i];
            for (int j = 0; j < n; j++) A[i][j] += a * v1[j] + b * v2[j];
        }
        for (int j = 0; j < n; j++) {
            double s = beta * y[j];
            for (int i = 0; i < n; i++) x[i] += s * A[j][i];
        }
        for (int i = 0; i < n; i++) x[i] += z[i];
        for (int i = 0; i < n; i++) {
            double s = 0.0;
            for (int j = 0; j < n; j++) s += A[i][j] * x[j];
            w[i] += alpha * s;
        }
    }
}

double bench_checksum(void) {
    return bench_sum2d(w, 1, n, 0) + bench_sum2d(x, 1, n, 0) + bench_sum2d(&A[0][0], n, n, N_MAX);
}
