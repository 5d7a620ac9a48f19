/*
 * CLLVMPasses.h: what wasmc does through LLVM's C++ API, which the C API does not offer: the
 * optimization pipeline of -O1..-O3 with wasmc's own passes (Pipeline.cpp), and optimization and
 * machine code for one part of a module (PartCodegen.cpp).
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

/* The function through which compiled code reads the native stack pointer, for its stack
 * checks: `i64 ()` with memory(none), so LLVM takes it for one value per function and the checks
 * of inlined callees merge with their caller's (a callee's frame becomes part of the caller's,
 * which the caller's check at entry covered). Every pipeline ends by lowering its calls to
 * llvm.stacksave (Pipeline.cpp). */
#define WASMC_STACK_POINTER_FUNCTION "wasmc.stack_pointer"

/* How the optimization pipeline is run, from the compile options (CompileOptions in
 * Sources/WasmcBackend/Compiler.swift). */
typedef struct {
    /* The passes of wasmc's own that -O2 and -O3 run (WASMC_PASS_* flags). */
    unsigned passes;
    /* NULL, or a pipeline in LLVM's textual syntax (opt -passes) that replaces -O1..-O3's,
     * wasmc's passes by their names (wasmc-loop-reroll...). */
    const char *pipeline;
    /* Non-zero: print LLVM's table of the time each pass took on standard error. */
    int time_passes;
} wasmc_pipeline_options;

/* Runs the pipeline of -O`level` (0 to 3) for `machine` on `module` (Pipeline.cpp): -O0 mem2reg
 * alone, -O1 a scalar clean-up, -O2 wasmc's pipeline for wasm its producer optimized, -O3 LLVM's
 * default<O3>; the latter two with wasmc's passes that `options` names. Returns NULL, or a
 * malloc'd message. */
char *wasmc_llvm_optimize(LLVMModuleRef module, LLVMTargetMachineRef machine, int level,
                          const wasmc_pipeline_options *options);

/* An object file: `size` malloc'd bytes at `bytes`. */
typedef struct {
    char *bytes;
    size_t size;
} wasmc_object;

/* Optimizes `module` as wasmc_llvm_optimize would at -O`level` (with `options`) and emits it as
 * an object file with a copy of `machine` for that level, on the calling thread (threads may
 * each do this at once, for modules of contexts of their own). On success stores the object in
 * `object` and returns NULL; otherwise returns a malloc'd message. */
char *wasmc_llvm_compile_part(LLVMModuleRef module, LLVMTargetMachineRef machine, int level,
                              const wasmc_pipeline_options *options, wasmc_object *object);

#ifdef __cplusplus
}
#endif

#endif
