/* jacobi_2d: 5-point Jacobi relaxation on an n x n grid of doubles, `steps` time steps, each
 * one sweep A -> B and one sweep B -> A (the boundary stays fixed). */
#include "bench.h"

#define N_MAX 1300
#define N_SMALL 250
#define N_LARGE 1300
#define STEPS_SMALL 150
#define STEPS_LARGE 100

static double A[N_MAX][N_MAX], B[N_MAX][N_MAX];
static int n, steps;

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    steps = BENCH_PICK(size, STEPS_SMALL, STEPS_LARGE);
    bench_seed(7);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            A[i][j] = bench_rand01();
            B[i][j] = A[i][j];
        }
}

void bench_run(void) {
    for (int t = 0; t < steps; t++) {
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++)
                B[i][j] = 0.2 * (A[i][j] + A[i][j - 1] + A[i][j + 1] + A[i - 1][j] + A[i + 1][j]);
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++)
                A[i][j] = 0.2 * (B[i][j] + B[i][j - 1] + B[i][j + 1] + B[i - 1][j] + B[i + 1][j]);
    }
}

double bench_checksum(void) { return bench_sum2d(&A[0][0], n, n, N_MAX); }
