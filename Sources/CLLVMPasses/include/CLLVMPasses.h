/*
 * CLLVMPasses.h: the optimization pipeline of -O1..-O3, run from C++ because it adds passes of
 * wasmc's own that the C API cannot register (see Pipeline.cpp).
 */
#ifndef CLLVM_PASSES_H
#define CLLVM_PASSES_H

#include "llvm-c/TargetMachine.h"
#include "llvm-c/Types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* wasmc's passes, run just before the loop vectorizer in this order. */
enum {
    WASMC_PASS_LOOP_REROLL = 1,       /* LoopReroll.cpp: rolls up loops the producer unrolled */
    WASMC_PASS_LOOP_ALIAS_GROUPS = 2, /* LoopAliasGroups.cpp: versions loops on pointer groups */
};

/* Runs LLVM's default<O`level`> pipeline (level 1 to 3) for `machine` on `module`, with the
 * passes of wasmc's own that `passes` (WASMC_PASS_* flags) names. Returns NULL, or a malloc'd
 * message. */
char *wasmc_llvm_optimize(LLVMModuleRef module, LLVMTargetMachineRef machine, int level,
                          unsigned passes);

#ifdef __cplusplus
}
#endif

#endif
