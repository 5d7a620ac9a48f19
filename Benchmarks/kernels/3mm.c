/* 3mm: three matrix products, G = (A * B) * (C * D) (n x n doubles).
 * Each product is row-oriented (i, k, j) so the inner loop is a contiguous axpy. */
#include "bench.h"

#define N_MAX 880
#define N_SMALL 224
#define N_LARGE 880

static double A[N_MAX][N_MAX], B[N_MAX][N_MAX], C[N_MAX][N_MAX], D[N_MAX][N_MAX];
static double E[N_MAX][N_MAX], F[N_MAX][N_MAX], G[N_MAX][N_MAX];
static int n;

/* X = Y * Z for n x n blocks of N_MAX-wide arrays. */
static void matmul(double X[N_MAX][N_MAX], double Y[N_MAX][N_MAX], double Z[N_MAX][N_MAX]) {
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) X[i][j] = 0.0;
        for (int k = 0; k < n; k++) {
            double y = Y[i][k];
            for (int j = 0; j < n; j++) X[i][j] += y * Z[k][j];
        }
    }
}

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(3);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            A[i][j] = bench_rand01() - 0.5;
            B[i][j] = bench_rand01() - 0.5;
            C[i][j] = bench_rand01() - 0.5;
            D[i][j] = bench_rand01() - 0.5;
            E[i][j] = F[i][j] = G[i][j] = 0.0;
        }
}

void bench_run(void) {
    matmul(E, A, B);
    matmul(F, C, D);
    matmul(G, E, F);
}

double bench_checksum(void) { return bench_sum2d(&G[0][0], n, n, N_MAX); }
