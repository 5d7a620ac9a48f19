/* floyd_warshall: all-pairs shortest paths on a random directed graph of n nodes, int32
 * distances, in place. "No edge" is a large value whose double still fits in int32.
 * Step k leaves row k and column k unchanged (D[k][k] = 0), so row k is copied out first:
 * the inner loop then reads the copy and updates row i, two arrays that cannot overlap, and
 * vectorizes without runtime alias checks (with the copy left out, clang hoists the check
 * "does row k overlap the rows being updated?" out of the i loop, where it always fails). */
#include "bench.h"

#define N_MAX 1280
#define N_SMALL 340
#define N_LARGE 1280
#define NO_EDGE (1 << 28)

static int32_t D[N_MAX][N_MAX];
static int32_t row_k[N_MAX];
static int n;

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(10);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            uint32_t r = bench_rand_u32();
            /* About one pair in eight has an edge, of weight 1..1000. */
            D[i][j] = (r & 7) == 0 ? 1 + (int32_t)((r >> 3) % 1000) : NO_EDGE;
        }
    for (int i = 0; i < n; i++) D[i][i] = 0;
}

void bench_run(void) {
    for (int k = 0; k < n; k++) {
        for (int j = 0; j < n; j++) row_k[j] = D[k][j];
        for (int i = 0; i < n; i++) {
            int32_t dik = D[i][k];
            for (int j = 0; j < n; j++) {
                int32_t through = dik + row_k[j];
                D[i][j] = through < D[i][j] ? through : D[i][j];
            }
        }
    }
}

double bench_checksum(void) { return bench_sum2di(&D[0][0], n, n, N_MAX); }
