/* nussinov: maximum number of nested base pairs of an RNA-like sequence of length n, by
 * dynamic programming over intervals (int32):
 *   S(i, j) = max( S(i, j-1), S(i+1, j), S(i+1, j-1) + pair(i, j), max_{i<k<j} S(i,k) + S(k+1,j) )
 * computed for i from n-1 down to 0 and j from i+1 up. S(i, j), i < j, is stored twice: at
 * T[i][j] and mirrored at T[j][i]; the diagonal is 0. The split term then reads two rows,
 * T[i][i+1..j-1] and T[j][i+2..j], both contiguous, so its max-reduction vectorizes. */
#include "bench.h"

#define N_MAX 2200
#define N_SMALL 640
#define N_LARGE 2200

static int32_t T[N_MAX][N_MAX];
static uint8_t seq[N_MAX];
static int n;

void bench_init(int32_t size) {
    n = BENCH_PICK(size, N_SMALL, N_LARGE);
    bench_seed(11);
    for (int i = 0; i < n; i++) seq[i] = (uint8_t)bench_rand_below(4); /* A C G U = 0 1 2 3 */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) T[i][j] = 0;
}

/* Watson-Crick pairs A-U and C-G: codes that sum to 3. */
static inline int32_t pairs(int i, int j) { return seq[i] + seq[j] == 3; }

void bench_run(void) {
    for (int i = n - 1; i >= 0; i--) {
        for (int j = i + 1; j < n; j++) {
            int32_t best = T[i][j - 1];
            int32_t down = T[i + 1][j];
            best = down > best ? down : best;
            int32_t inner = (i + 1 <= j - 1 ? T[i + 1][j - 1] : 0) + pairs(i, j);
            best = inner > best ? inner : best;
            const int32_t *left = &T[i][0], *right = &T[j][1];
            for (int k = i + 1; k < j; k++) {
                int32_t split = left[k] + right[k];
                best = split > best ? split : best;
            }
            T[i][j] = best;
            T[j][i] = best;
        }
    }
}

double bench_checksum(void) {
    /* The upper triangle (the lower one mirrors it) and the answer for the whole sequence. */
    double s = 0.0;
    for (int i = 0; i < n; i++) s += bench_sum2di(&T[i][i], 1, n - i, 0);
    return s + 1000.0 * T[0][n - 1];
}
