/* fdtd_2d: 2-D finite-difference time-domain (Yee scheme, TE mode) on an nx x ny grid of
 * doubles: each step drives row 0 of Ey with a source, then updates Ey, Ex from Hz and Hz from
 * Ex, Ey. */
#include "bench.h"

#define N_MAX 1200
#define NX_SMALL 300
#define NY_SMALL 360
#define NX_LARGE 1000
#define NY_LARGE 1200
#define STEPS_SMALL 40
#define STEPS_LARGE 100

static double ex[N_MAX][N_MAX], ey[N_MAX][N_MAX], hz[N_MAX][N_MAX];
static double source[STEPS_LARGE];
static int nx, ny, steps;

void bench_init(int32_t size) {
    nx = BENCH_PICK(size, NX_SMALL, NX_LARGE);
    ny = BENCH_PICK(size, NY_SMALL, NY_LARGE);
    steps = BENCH_PICK(size, STEPS_SMALL, STEPS_LARGE);
    bench_seed(9);
    for (int t = 0; t < steps; t++) source[t] = (double)t;
    for (int i = 0; i < nx; i++)
        for (int j = 0; j < ny; j++) {
            ex[i][j] = bench_rand01();
            ey[i][j] = bench_rand01();
            hz[i][j] = bench_rand01();
        }
}

void bench_run(void) {
    for (int t = 0; t < steps; t++) {
        for (int j = 0; j < ny; j++) ey[0][j] = source[t];
        for (int i = 1; i < nx; i++)
            for (int j = 0; j < ny; j++) ey[i][j] -= 0.5 * (hz[i][j] - hz[i - 1][j]);
        for (int i = 0; i < nx; i++)
            for (int j = 1; j < ny; j++) ex[i][j] -= 0.5 * (hz[i][j] - hz[i][j - 1]);
        for (int i = 0; i < nx - 1; i++)
            for (int j = 0; j < ny - 1; j++)
                hz[i][j] -= 0.7 * (ex[i][j + 1] - ex[i][j] + ey[i + 1][j] - ey[i][j]);
    }
}

double bench_checksum(void) {
    return bench_sum2d(&ex[0][0], nx, ny, N_MAX) + 2.0 * bench_sum2d(&ey[0][0], nx, ny, N_MAX)
        + 3.0 * bench_sum2d(&hz[0][0], nx, ny, N_MAX);
}
