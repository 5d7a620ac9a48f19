/*
 * CLLVMPasses.h: what wasmc does through LLVM's C++ API, which the C API does not offer: the
 * optimization pipeline of -O1..-O3 with wasmc's own passes (Pipeline.cpp), and optimization and
 * code generation on several threads (ParallelCodegen.cpp).
 */
#ifndef CLLVM_PASSES_H
#define CLLVM_PASSES_H

#include "llvm-c/TargetMachine.h"
#include "llvm-c/Types.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* wasmc's passes, run just before the loop vectorizer in this order. */
enum {
    WASMC_PASS_LOOP_REROLL = 1,       /* LoopReroll.cpp: rolls up loops the producer unrolled */
    WASMC_PASS_LOOP_JAM = 8,          /* LoopJam.cpp: unroll-and-jam of loops around accumulations */
    WASMC_PASS_LOOP_DEVECTORIZE = 4,  /* LoopDevectorize.cpp: 128-bit SIMD loops to one-lane loops */
    WASMC_PASS_LOOP_ALIAS_GROUPS = 2, /* LoopAliasGroups.cpp: versions loops on pointer groups */
};

/* Runs the pipeline of -O`level` (0 to 3) for `machine` on `module` (Pipeline.cpp): -O0 mem2reg
 * alone, -O1 a scalar clean-up, -O2 wasmc's pipeline for wasm its producer optimized, -O3 LLVM's
 * default<O3>; the latter two with the passes of wasmc's own that `passes` (WASMC_PASS_* flags)
 * names. Returns NULL, or a malloc'd message. */
char *wasmc_llvm_optimize(LLVMModuleRef module, LLVMTargetMachineRef machine, int level,
                          unsigned passes);

/* An object file: `size` bytes at `bytes`. Arrays of them end with an entry whose bytes is NULL. */
typedef struct {
    char *bytes;
    size_t size;
} wasmc_object;

/* How many parts wasmc_llvm_emit_objects should make of `module`: 1 for a module too small to
 * gain from more. It depends on the module alone (not on the threads), so the code does too.
 * `optimized`: whether the module was optimized already (code not yet optimized has more
 * instructions for the same work). */
unsigned wasmc_llvm_codegen_parts(LLVMModuleRef module, int optimized);

/* Splits `module` into `parts` parts (its local symbols used across parts become hidden ones)
 * and emits an object file for each part, on up to `threads` threads, each with its own copy of
 * `machine`.
 * With `optimization_level` 1 to 3, `module` is not optimized yet: each part is optimized as
 * wasmc_llvm_optimize would (with `passes`) on its thread first, with copies of the small
 * functions and the constants of other parts it uses. With 0, `module` is emitted as it is.
 * A function not yet optimized that has the string attribute "wasmc-level"="N" (N from 0 to 3,
 * what a profile decided, Documentation/profiles.md) is optimized and emitted at -ON instead;
 * the functions of each level go to parts of their own (then `parts` applies to none of them:
 * each level gets parts in proportion to the cost of its code).
 * `progress`, if not NULL, is called (one call at a time, from any of the threads) after each
 * part with the estimated cost of the parts done so far and of all of them.
 * On success stores a malloc'd array (free it with wasmc_llvm_free_objects) in `objects` and
 * returns NULL; otherwise returns a malloc'd message. */
typedef void (*wasmc_progress_fn)(void *context, uint64_t done, uint64_t total);
char *wasmc_llvm_emit_objects(LLVMModuleRef module, LLVMTargetMachineRef machine, unsigned parts,
                              unsigned threads, int optimization_level, unsigned passes,
                              wasmc_progress_fn progress, void *progress_context,
                              wasmc_object **objects);

void wasmc_llvm_free_objects(wasmc_object *objects);

#ifdef __cplusplus
}
#endif

#endif
