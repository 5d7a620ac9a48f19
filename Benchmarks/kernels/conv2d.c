/* conv2d: a 3x3 convolution layer, stride 1, zero padding 1, CI -> CO channels on H x W
 * images (single precision, CHW layout), plus bias and ReLU, over a batch of images.
 * For each output channel and input channel the nine weights are hoisted and the inner loop
 * runs along an image row (contiguous), which the vectorizer handles. Inputs are stored with
 * their zero border, so the loops have no edge cases. */
#include "bench.h"

#define CI 32
#define CO 32
#define H 64
#define W 64
#define BATCH_SMALL 4
#define BATCH_LARGE 100

static float input[BATCH_LARGE][CI][H + 2][W + 2];
static float output[BATCH_LARGE][CO][H][W];
static float weight[CO][CI][3][3];
static float bias[CO];
static int batch;

void bench_init(int32_t size) {
    batch = BENCH_PICK(size, BATCH_SMALL, BATCH_LARGE);
    bench_seed(21);
    /* Weights uniform in [-1/16, 1/16) (about He scale for 288 inputs per output). */
    for (int o = 0; o < CO; o++)
        for (int c = 0; c < CI; c++)
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++) weight[o][c][y][x] = (bench_rand01f() - 0.5f) * 0.125f;
    for (int o = 0; o < CO; o++) bias[o] = (bench_rand01f() - 0.5f) * 0.1f;
    for (int b = 0; b < batch; b++)
        for (int c = 0; c < CI; c++)
            for (int y = 0; y < H + 2; y++)
                for (int x = 0; x < W + 2; x++) {
                    int border = y == 0 || x == 0 || y == H + 1 || x == W + 1;
                    input[b][c][y][x] = border ? 0.0f : bench_rand01f();
                }
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < CO; o++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) output[b][o][y][x] = 0.0f;
}

void bench_run(void) {
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < CO; o++) {
            float (*out)[W] = output[b][o];
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) out[y][x] = bias[o];
            for (int c = 0; c < CI; c++) {
                float (*in)[W + 2] = input[b][c];
                const float *k = &weight[o][c][0][0];
                float k0 = k[0], k1 = k[1], k2 = k[2], k3 = k[3], k4 = k[4];
                float k5 = k[5], k6 = k[6], k7 = k[7], k8 = k[8];
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++)
                        out[y][x] += k0 * in[y][x] + k1 * in[y][x + 1] + k2 * in[y][x + 2]
                            + k3 * in[y + 1][x] + k4 * in[y + 1][x + 1] + k5 * in[y + 1][x + 2]
                            + k6 * in[y + 2][x] + k7 * in[y + 2][x + 1] + k8 * in[y + 2][x + 2];
            }
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) out[y][x] = out[y][x] > 0.0f ? out[y][x] : 0.0f;
        }
}

double bench_checksum(void) {
    double s = 0.0;
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < CO; o++) s += bench_sum2df(&output[b][o][0][0], H, W, W) * (1 + (o & 3));
    return s;
}
