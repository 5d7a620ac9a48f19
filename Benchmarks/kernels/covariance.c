/* covariance: sample covariance matrix of m variables over n observations (doubles).
 * Column means, centring of the data in place, then the upper triangle of
 * data^T data / (n - 1), accumulated row by row of the result (contiguous axpy), mirrored. */
#include "bench.h"

#define M_MAX 1200
#define N_MAX 1200
#define M_SMALL 400
#define N_SMALL 480
#define M_LARGE 1200
#define N_LARGE 1200

static double data[N_MAX][M_MAX], cov[M_MAX][M_MAX];
static double mean[M_MAX];
static int m, n;

void bench_init(int32_t size) {
    m = BENCH_PICK(size, M_SMALL, M_LARGE);
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(13);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) data[i][j] = bench_rand01() * (1 + (j % 3)) - (double)(i % 7) * 0.25;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) cov[i][j] = 0.0;
}

void bench_run(void) {
    for (int j = 0; j < m; j++) mean[j] = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) mean[j] += data[i][j];
    for (int j = 0; j < m; j++) mean[j] /= n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) data[i][j] -= mean[j];

    double inv = 1.0 / (n - 1);
    for (int i = 0; i < m; i++) {
        for (int j = i; j < m; j++) cov[i][j] = 0.0;
        for (int k = 0; k < n; k++) {
            double a = data[k][i];
            for (int j = i; j < m; j++) cov[i][j] += a * data[k][j];
        }
        for (int j = i; j < m; j++) {
            cov[i][j] *= inv;
            cov[j][i] = cov[i][j];
        }
    }
}

double bench_checksum(void) { return bench_sum2d(&cov[0][0], m, m, M_MAX); }
