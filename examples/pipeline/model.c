/* The middle stage of examples/pipeline: a "model" whose 256 KiB of weights (weights.h, written
 * by build.sh) sit in a data segment, as a model's do. */
#include "weights.h"

__attribute__((export_name("infer"))) float infer(float x, int i) {
    return weights[i & (WEIGHTS - 1)] * x + weights[(i * 7) & (WEIGHTS - 1)];
}
