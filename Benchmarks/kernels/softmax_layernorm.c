/* softmax_layernorm: rows of a rows x D single-precision activation matrix go through softmax
 * and then layer normalisation (with learned scale and shift), `passes` times, each pass
 * reading one buffer and writing the other (like a stack of layers).
 * Elementwise loops (exp, scaling, normalisation) vectorize; the reductions (max, sums) are
 * in order, so they stay scalar without -ffast-math on every engine. exp is bench_expf. */
#include "bench.h"

#define D 1024
#define ROWS_SMALL 512
#define ROWS_LARGE 4096
#define PASSES_SMALL 4
#define PASSES_LARGE 16

static float buf[2][ROWS_LARGE][D];
static float gamma_[D], beta_[D];
static int rows, passes;

static void softmax_layernorm_row(const float *restrict x, float *restrict y) {
    float mx = x[0];
    for (int j = 1; j < D; j++) mx = x[j] > mx ? x[j] : mx;
    for (int j = 0; j < D; j++) y[j] = bench_expf(x[j] - mx);
    float sum = 0.0f;
    for (int j = 0; j < D; j++) sum += y[j];
    float inv = 1.0f / sum;
    for (int j = 0; j < D; j++) y[j] *= inv;

    float mean = 0.0f;
    for (int j = 0; j < D; j++) mean += y[j];
    mean *= 1.0f / D;
    float var = 0.0f;
    for (int j = 0; j < D; j++) {
        float d = y[j] - mean;
        var += d * d;
    }
    var *= 1.0f / D;
    float rstd = 1.0f / bench_sqrtf(var + 1e-5f);
    for (int j = 0; j < D; j++) y[j] = (y[j] - mean) * rstd * gamma_[j] + beta_[j];
}

void bench_init(int32_t size) {
    rows = BENCH_PICK(size, ROWS_SMALL, ROWS_LARGE);
    passes = BENCH_PICK(size, PASSES_SMALL, PASSES_LARGE);
    bench_seed(22);
    for (int j = 0; j < D; j++) {
        gamma_[j] = 0.5f + bench_rand01f();
        beta_[j] = bench_rand01f() - 0.5f;
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < D; j++) {
            buf[0][i][j] = (bench_rand01f() - 0.5f) * 8.0f;
            buf[1][i][j] = 0.0f;
        }
}

void bench_run(void) {
    for (int p = 0; p < passes; p++) {
        float (*src)[D] = buf[p & 1], (*dst)[D] = buf[(p + 1) & 1];
        for (int i = 0; i < rows; i++) softmax_layernorm_row(src[i], dst[i]);
    }
}

double bench_checksum(void) { return bench_sum2df(&buf[passes & 1][0][0], rows, D, D); }
