// LoopAliasGroups.cpp: loop versioning on grouped pointer ranges, for loops that the producer
// of the wasm module has already interleaved.
//
// clang's wasm32 output of a loop like `C[j] += a * B[j]` is often interleaved already: two
// copies of the body, j += 2. A module's arrays all live in one linear memory, so the distance
// between C and B is unknown to LLVM's LoopAccessAnalysis (LAA), which then falls back to
// run-time checks. In that fallback LAA does not group pointers: it also checks C[j] against
// C[j + 1], whose ranges always overlap, so the vectorized loop never runs.
//
// For such a loop (LAA asks for run-time checks, and one of them compares two pointers a
// constant distance apart) this pass groups the pointers whose ranges differ by constants, as
// LAA does when it has dependence information; versions the loop on "no two groups overlap"
// with LLVM's LoopVersioning; and gives the accesses of the checked copy one alias scope per
// group. The loop vectorizer, which runs next, then sees independent groups and analyses the
// dependences inside each group itself (C[j] against C[j + 1]: a known distance). The other
// copy is the original loop, for when the groups do overlap.
#include "Passes.h"

#include "llvm/Analysis/LoopAccessAnalysis.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/IR/Dominators.h"
#include "llvm/Transforms/Utils/LoopVersioning.h"

using namespace llvm;

namespace {

// At most this many group comparisons in one loop's check (LoopVectorize allows 8 by default).
constexpr unsigned maxChecks = 8;

// Whether one of LAA's checks compares pointers whose ranges are a constant distance apart:
// the checks of a loop interleaved before it reached us.
bool checksNeighbours(RuntimePointerChecking &checking) {
    for (const RuntimePointerCheck &check : checking.getChecks()) {
        RuntimeCheckingPtrGroup merged = *check.first;
        for (unsigned member : check.second->Members)
            if (merged.addPointer(member, checking)) return true;
    }
    return false;
}

bool versionOnGroups(Loop &loop, LoopInfo &loops, DominatorTree &dominators,
                     ScalarEvolution &evolution, LoopAccessInfoManager &accessInfos) {
    if (!loop.isInnermost() || !loop.isLoopSimplifyForm() || !loop.getExitingBlock() ||
        !loop.getExitBlock() || !loop.isLCSSAForm(dominators))
        return false;
    const LoopAccessInfo &info = accessInfos.getInfo(loop);
    // LoopVersioning reads the groups from LAA's own RuntimePointerChecking (to map pointers to
    // alias scopes), so the new grouping replaces LAA's there; the cached analysis is dropped
    // afterwards whatever happens.
    auto &checking = const_cast<RuntimePointerChecking &>(*info.getRuntimePointerChecking());
    if (!info.canVectorizeMemory() || !checking.Need || !checksNeighbours(checking)) return false;

    SmallVector<RuntimeCheckingPtrGroup, 4> groups;
    for (unsigned index = 0; index < checking.Pointers.size(); ++index) {
        bool added = false;
        for (RuntimeCheckingPtrGroup &group : groups)
            if ((added = group.addPointer(index, checking))) break;
        if (!added) groups.emplace_back(index, checking);
    }
    checking.CheckingGroups.assign(groups.begin(), groups.end());
    SmallVector<RuntimePointerCheck, 8> checks;
    for (unsigned i = 0; i < checking.CheckingGroups.size(); ++i)
        for (unsigned j = i + 1; j < checking.CheckingGroups.size(); ++j)
            if (checking.needsChecking(checking.CheckingGroups[i], checking.CheckingGroups[j]))
                checks.push_back({&checking.CheckingGroups[i], &checking.CheckingGroups[j]});
    if (checks.empty() || checks.size() > maxChecks) {
        accessInfos.clear();
        return false;
    }
    LoopVersioning versioning(info, checks, &loop, &loops, &dominators, &evolution);
    versioning.versionLoop();
    versioning.annotateLoopWithNoAlias();
    accessInfos.clear();
    evolution.forgetLoop(&loop);
    return true;
}

} // namespace

namespace wasmc {

PreservedAnalyses LoopAliasGroupsPass::run(Function &function, FunctionAnalysisManager &analyses) {
    auto &loops = analyses.getResult<LoopAnalysis>(function);
    auto &dominators = analyses.getResult<DominatorTreeAnalysis>(function);
    auto &evolution = analyses.getResult<ScalarEvolutionAnalysis>(function);
    auto &accessInfos = analyses.getResult<LoopAccessAnalysis>(function);
    SmallVector<Loop *, 8> innermost;
    for (Loop *loop : loops.getLoopsInPreorder())
        if (loop->isInnermost()) innermost.push_back(loop);
    bool changed = false;
    for (Loop *loop : innermost) changed |= versionOnGroups(*loop, loops, dominators, evolution, accessInfos);
    if (!changed) return PreservedAnalyses::all();
    PreservedAnalyses preserved;
    preserved.preserve<LoopAnalysis>();
    preserved.preserve<DominatorTreeAnalysis>();
    return preserved;
}

} // namespace wasmc
