/*
 * CLLVMPasses.h: the optimization pipeline of -O1..-O3, run from C++ because it adds a pass of
 * wasmc's own that the C API cannot register (see Pipeline.cpp).
 */
#ifndef CLLVM_PASSES_H
#define CLLVM_PASSES_H

#include "llvm-c/TargetMachine.h"
#include "llvm-c/Types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs LLVM's default<O`level`> pipeline (level 1 to 3) for `machine` on `module`, with
 * wasmc's loop versioning pass (LoopAliasGroups.cpp) just before the loop vectorizer when
 * `version_loops` is non-zero. Returns NULL, or a malloc'd message. */
char *wasmc_llvm_optimize(LLVMModuleRef module, LLVMTargetMachineRef machine, int level,
                          int version_loops);

#ifdef __cplusplus
}
#endif

#endif
