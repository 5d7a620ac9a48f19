// Passes.h: wasmc's own LLVM passes (C++; the pipeline in Pipeline.cpp runs them).
#pragma once

#include "CLLVMPasses.h"
#include "llvm/IR/PassManager.h"

#include <string>

namespace llvm {
class TargetMachine;
}

namespace wasmc {

// The pipeline of -O`level` (1 to 3) with the wasmc passes `passes` names (WASMC_PASS_* flags),
// for `machine` (Pipeline.cpp). Returns an error message, or "".
std::string optimizeModule(llvm::Module &module, llvm::TargetMachine *machine, int level,
                           const wasmc_pipeline_options &options);

// A malloc'd copy of `message`, as the C API (CLLVMPasses.h) returns errors (Pipeline.cpp).
char *copyMessage(const std::string &message);

// Marks `store p, (load p)` volatile, which LLVM would delete with the load, losing the trap of
// an out-of-bounds p (KeepNoopStores.cpp). Runs first, after mem2reg.
struct KeepNoopStoresPass : llvm::PassInfoMixin<KeepNoopStoresPass> {
    llvm::PreservedAnalyses run(llvm::Function &function, llvm::FunctionAnalysisManager &analyses);
};

// Versions loops on grouped pointer ranges so that loops interleaved before compilation can
// still be vectorized (LoopAliasGroups.cpp).
// Rolls up loops that the wasm producer unrolled, so that the vectorizer sees the source loop
// (LoopReroll.cpp).
struct LoopRerollPass : llvm::PassInfoMixin<LoopRerollPass> {
    llvm::PreservedAnalyses run(llvm::Function &function, llvm::FunctionAnalysisManager &analyses);
};

// Unroll-and-jam of a loop around innermost loops that accumulate into memory, so the
// accumulators are loaded and stored once for several outer iterations (LoopJam.cpp).
struct LoopJamPass : llvm::PassInfoMixin<LoopJamPass> {
    llvm::PreservedAnalyses run(llvm::Function &function, llvm::FunctionAnalysisManager &analyses);
};

// Turns 128-bit SIMD loops into loops over one lane, for the vectorizer to widen to the host's
// vectors (LoopDevectorize.cpp).
struct LoopDevectorizePass : llvm::PassInfoMixin<LoopDevectorizePass> {
    llvm::PreservedAnalyses run(llvm::Function &function, llvm::FunctionAnalysisManager &analyses);
};

struct LoopAliasGroupsPass : llvm::PassInfoMixin<LoopAliasGroupsPass> {
    llvm::PreservedAnalyses run(llvm::Function &function, llvm::FunctionAnalysisManager &analyses);
};

} // namespace wasmc
