// Passes.h: wasmc's own LLVM passes (C++; the pipeline in Pipeline.cpp runs them).
#pragma once

#include "llvm/IR/PassManager.h"

namespace wasmc {

// Versions loops on grouped pointer ranges so that loops interleaved before compilation can
// still be vectorized (LoopAliasGroups.cpp).
struct LoopAliasGroupsPass : llvm::PassInfoMixin<LoopAliasGroupsPass> {
    llvm::PreservedAnalyses run(llvm::Function &function, llvm::FunctionAnalysisManager &analyses);
};

} // namespace wasmc
