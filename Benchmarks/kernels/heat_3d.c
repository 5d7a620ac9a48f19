/* heat_3d: explicit heat equation on an n x n x n grid of doubles, 7-point stencil,
 * `steps` time steps, each one sweep A -> B and one sweep B -> A (fixed boundary). */
#include "bench.h"

#define N_MAX 120
#define N_SMALL 40
#define N_LARGE 120
#define STEPS_SMALL 80
#define STEPS_LARGE 70

static double A[N_MAX][N_MAX][N_MAX], B[N_MAX][N_MAX][N_MAX];
static int n, steps;

static void sweep(double dst[N_MAX][N_MAX][N_MAX], double src[N_MAX][N_MAX][N_MAX]) {
    for (int i = 1; i < n - 1; i++)
        for (int j = 1; j < n - 1; j++)
            for (int k = 1; k < n - 1; k++)
                dst[i][j][k] = src[i][j][k]
                    + 0.125 * (src[i + 1][j][k] - 2.0 * src[i][j][k] + src[i - 1][j][k])
                    + 0.125 * (src[i][j + 1][k] - 2.0 * src[i][j][k] + src[i][j - 1][k])
                    + 0.125 * (src[i][j][k + 1] - 2.0 * src[i][j][k] + src[i][j][k - 1]);
}

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    steps = BENCH_PICK(size, STEPS_SMALL, STEPS_LARGE);
    bench_seed(8);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++) {
                A[i][j][k] = bench_rand01() * 10.0;
                B[i][j][k] = A[i][j][k];
            }
}

void bench_run(void) {
    for (int t = 0; t < steps; t++) {
        sweep(B, A);
        sweep(A, B);
    }
}

double bench_checksum(void) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += bench_sum2d(&A[i][0][0], n, n, N_MAX) * (1.0 + (i & 3));
    return s;
}
