/*
 * CLLVMPasses.h: what wasmc does through LLVM's C++ API, which the C API does not offer: the
 * optimization pipeline of -O1..-O3 with wasmc's own passes (Pipeline.cpp), and code generation
 * on several threads (ParallelCodegen.cpp).
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
    WASMC_PASS_LOOP_DEVECTORIZE = 4,  /* LoopDevectorize.cpp: 128-bit SIMD loops to one-lane loops */
    WASMC_PASS_LOOP_ALIAS_GROUPS = 2, /* LoopAliasGroups.cpp: versions loops on pointer groups */
};

/* Runs LLVM's default<O`level`> pipeline (level 1 to 3) for `machine` on `module`, with the
 * passes of wasmc's own that `passes` (WASMC_PASS_* flags) names. Returns NULL, or a malloc'd
 * message. */
char *wasmc_llvm_optimize(LLVMModuleRef module, LLVMTargetMachineRef machine, int level,
                          unsigned passes);

/* An object file: `size` bytes at `bytes`. Arrays of them end with an entry whose bytes is NULL. */
typedef struct {
    char *bytes;
    size_t size;
} wasmc_object;

/* How many parts wasmc_llvm_emit_objects should make of `module` with at most `threads` threads:
 * 1 for a module too small to gain from more. */
unsigned wasmc_llvm_codegen_parts(LLVMModuleRef module, unsigned threads);

/* Splits the optimized `module` into `parts` parts (its local symbols used across parts become
 * hidden ones) and emits an object file for each part, each on a thread of its own with a copy of
 * `machine`. On success stores a malloc'd array (free it with wasmc_llvm_free_objects) in
 * `objects` and returns NULL; otherwise returns a malloc'd message. */
char *wasmc_llvm_emit_objects(LLVMModuleRef module, LLVMTargetMachineRef machine, unsigned parts,
                              wasmc_object **objects);

void wasmc_llvm_free_objects(wasmc_object *objects);

#ifdef __cplusplus
}
#endif

#endif
