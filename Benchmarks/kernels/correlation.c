/* correlation: Pearson correlation matrix of m variables over n observations (doubles).
 * Column means and standard deviations, normalisation of the data in place, then the upper
 * triangle of data^T data, accumulated row by row of the result so the inner loop is a
 * contiguous axpy. Constant columns get a standard deviation of 1 (as is customary). */
#include "bench.h"

#define M_MAX 1200
#define N_MAX 1200
#define M_SMALL 400
#define N_SMALL 480
#define M_LARGE 1200
#define N_LARGE 1200

static double data[N_MAX][M_MAX], corr[M_MAX][M_MAX];
static double mean[M_MAX], stddev[M_MAX];
static int m, n;

void bench_init(int32_t size) {
    m = BENCH_PICK(size, M_SMALL, M_LARGE);
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(12);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) data[i][j] = bench_rand01() * (1 + (j & 7)) + (double)(i % 5);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) corr[i][j] = 0.0;
}

void bench_run(void) {
    const double eps = 0.1;
    double inv_n = 1.0 / n;
    for (int j = 0; j < m; j++) mean[j] = stddev[j] = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) mean[j] += data[i][j];
    for (int j = 0; j < m; j++) mean[j] *= inv_n;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) {
            double d = data[i][j] - mean[j];
            stddev[j] += d * d;
        }
    for (int j = 0; j < m; j++) {
        double s = bench_sqrt(stddev[j] * inv_n);
        stddev[j] = s <= eps ? 1.0 : s;
    }
    double root_n = bench_sqrt((double)n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++) data[i][j] = (data[i][j] - mean[j]) / (root_n * stddev[j]);

    for (int i = 0; i < m; i++) {
        for (int j = i; j < m; j++) corr[i][j] = 0.0;
        for (int k = 0; k < n; k++) {
            double a = data[k][i];
            for (int j = i + 1; j < m; j++) corr[i][j] += a * data[k][j];
        }
        corr[i][i] = 1.0;
        for (int j = i + 1; j < m; j++) corr[j][i] = corr[i][j];
    }
}

double bench_checksum(void) { return bench_sum2d(&corr[0][0], m, m, M_MAX); }
