// CountedLoops.h: what the passes that rewrite counted loops share (LoopReroll.cpp and
// LoopDevectorize.cpp rewrite single-block innermost loops, LoopJam.cpp a loop around such
// loops): integer values as linear forms in the loops' induction phis, the induction phis, the
// exit test `phi + step == end` and the trip count it implies, and versioning a loop so that the
// original still runs the entries a rewrite does not cover.
#pragma once

#include "llvm/ADT/APInt.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/IR/IRBuilder.h"

#include <optional>

#include "llvm/IR/PassManager.h"

namespace llvm {
class Loop;
class LoopInfo;
} // namespace llvm

namespace wasmc {

// An integer value as constant + Σ coefficient · atom, modulo 2^width. Atoms are the loop's
// induction phis and values defined outside the loop.
struct Linear {
    llvm::APInt constant;
    llvm::SmallMapVector<llvm::Value *, llvm::APInt, 4> terms;

    void add(const Linear &other, const llvm::APInt &factor);
    bool operator==(const Linear &other) const;
    llvm::APInt coefficient(llvm::Value *atom) const;
    // The same terms (coefficients that are not zero), whatever the constants.
    bool sameTerms(const Linear &other) const;
};

// `value` as a linear form through + - × << by constants and disjoint |, or nothing. Values
// defined outside `loop`, and those `isInduction` accepts, are atoms.
std::optional<Linear> linearForm(llvm::Value *value, const llvm::Loop &loop,
                                 llvm::function_ref<bool(llvm::Value *)> isInduction);

struct Induction {
    llvm::PHINode *phi;
    llvm::Instruction *increment; // the back-edge value, phi + step
    llvm::APInt step;

    // The step when the loop takes `factor` iterations for one of the original's (the caller
    // checks that factor divides it).
    llvm::APInt rolledStep(unsigned factor) const {
        return step.sextOrTrunc(64).sdiv(factor).sextOrTrunc(step.getBitWidth());
    }
};

// A header phi of `loop` as an induction: phi + a constant that is not zero on the back edge,
// the sum computed in the loop itself (not in a loop within it).
std::optional<Induction> matchInduction(llvm::PHINode &phi, const llvm::Loop &loop);

// How a loop ends: its latch, the only block it leaves from, leaves when `increment == end` (an `eq`
// compare whose true side is the exit, or `ne` whose false side is), `end` defined outside.
// The compare may also look at the increment's low `bits` bits only, through
// `increment & mask == end` or `trunc(increment) == end`: IndVarSimplify leaves those where it
// widened a 32-bit counter to 64 bits (mask 0xffffffff, or with low bits cleared that the
// increment never has set).
struct ExitTest {
    llvm::BranchInst *branch;
    llvm::ICmpInst *compare;
    const Induction *induction;
    llvm::Value *end;
    llvm::Instruction *narrowing; // the `and` or `trunc`, or null when the whole increment is compared
    unsigned bits;                // how many low bits of the induction the test sees
};
std::optional<ExitTest> findExitTest(const llvm::Loop &loop, llvm::ArrayRef<Induction> inductions);

// Whether stepping `factor` times more finely (step / factor, factor a power of two) still
// stops at `end` and nowhere earlier, given the coarse step reaches it: p0 + j·s/F ≡ p0 + m·s
// (mod 2^bits) for j not a multiple of F needs 2^bits | (j - F·m)·s/F, impossible while
// F·(lowest set bit of s/F) < 2^bits.
bool finerStepKeepsExit(const ExitTest &exit, unsigned factor);

// The value of `value` as the exit test sees it (its low `bits` bits), emitted with `builder`.
llvm::Value *asCompared(llvm::IRBuilder<> &builder, const ExitTest &exit, llvm::Value *value);

// Whether the coarse step reaches `end` from the phi's start at all: `p + s == end` is reached
// only when end - start is a multiple of 2^tz(s), while a finer step reaches more values. A
// module that enters the loop otherwise would loop on (or trap) in the original, and must do so
// in the rewritten loop too. Emitted with `builder` (in the preheader).
llvm::Value *exitIsReached(llvm::IRBuilder<> &builder, const ExitTest &exit, llvm::BasicBlock *preheader,
                           const llvm::Twine &name);
// The same for the phi starting at `start` and the test ending at `end` (values where
// `builder` emits, standing for the loop's: the caller computed them there).
llvm::Value *exitIsReached(llvm::IRBuilder<> &builder, const ExitTest &exit, llvm::Value *start, llvm::Value *end,
                           const llvm::Twine &name);

// How many times the loop runs, as an i64, given that the exit is reached (exitIsReached) and
// |step| is a power of two: 2^bits / |step| for a loop that goes all the way round. Emitted with
// `builder` (in the preheader).
llvm::Value *tripCount(llvm::IRBuilder<> &builder, const ExitTest &exit, llvm::BasicBlock *preheader,
                       const llvm::Twine &name);
llvm::Value *tripCount(llvm::IRBuilder<> &builder, const ExitTest &exit, llvm::Value *start, llvm::Value *end,
                       const llvm::Twine &name);

// Makes every induction of `loop` step `factor` times more finely (the caller checked that
// factor divides each step and finerStepKeepsExit): a new increment replaces the old one on the
// back edge, in the exit test and after the loop, where it ends at the same last value. The old
// increment stays for the values in the loop that use it. `suffix` names the new increments.
void stepFiner(const llvm::Loop &loop, llvm::MutableArrayRef<Induction> inductions, const ExitTest &exit,
               unsigned factor, const llvm::Twine &suffix);

// The same with steps `factor` times coarser: the loop then runs one iteration for `factor` of
// the original's, and the caller checked that factor divides the trip count.
void stepCoarser(const llvm::Loop &loop, llvm::MutableArrayRef<Induction> inductions, const ExitTest &exit,
                 unsigned factor, const llvm::Twine &suffix);

// Whether an instruction other than one of `block` uses `instruction`. A phi after the loop (an
// LCSSA phi) counts, unlike for Instruction::isUsedOutsideOfBlock, which places a phi's use in
// the predecessor it comes from.
bool usedOutsideBlock(const llvm::Instruction &instruction, const llvm::BasicBlock *block);

// An integer helper of the loop (arithmetic on the phis, an address) that now runs on other phi
// values than those its flags were derived for: drops those flags (nuw, nsw, inbounds, nneg),
// and turns a disjoint `or` into the `add` it stood for.
void recomputeExactly(llvm::Instruction &instruction);

// Versions `loop` (with the loops in it, one exit block) on `condition` (computed in its
// preheader): the loop itself runs where it holds, a copy of its blocks (named
// `<block>.<originalName>`, entered from `<originalName>.ph`) where it does not. The caller then
// rewrites the loop itself; the copy keeps the original code. LoopInfo learns of the copy; the
// dominator tree is not kept up to date.
void keepOriginalLoop(llvm::Loop &loop, llvm::LoopInfo &loops, llvm::Value *condition,
                      llvm::StringRef newName, llvm::StringRef originalName);

// A wasm memory access's address `base + zext(index) + offset`, index the i32 wasm address:
// `address` is the GEP that adds the index; `offset` sums the constant offsets around it (the
// offset immediates, and those LICM moved into the base), which `base` is stripped of.
struct WasmAddress {
    llvm::GetElementPtrInst *address;
    llvm::Value *base;
    llvm::Value *index;
    int64_t offset;
};
std::optional<WasmAddress> wasmAddress(llvm::Value *pointer, const llvm::DataLayout &layout);

// A linear form's value where every phi it names has its start (`start(phi)`: the value it
// enters its loop with), emitted with `builder`. Other atoms stand for themselves.
llvm::Value *startValue(llvm::IRBuilder<> &builder, const Linear &form,
                        llvm::function_ref<llvm::Value *(llvm::PHINode *)> start);

// Groups the accesses (each with an `instruction` and an `index`, a Linear of the wasm address)
// whose indices differ by a constant, setting each one's `group`; returns, per group, whether
// it holds a store.
template <typename Access> llvm::SmallVector<bool, 4> groupByTerms(llvm::MutableArrayRef<Access> accesses) {
    llvm::SmallVector<const Linear *, 4> representatives;
    llvm::SmallVector<bool, 4> stores;
    for (Access &access : accesses) {
        unsigned group = 0;
        while (group < representatives.size() &&
               !(representatives[group]->constant.getBitWidth() == access.index.constant.getBitWidth() &&
                 representatives[group]->sameTerms(access.index)))
            ++group;
        if (group == representatives.size()) {
            representatives.push_back(&access.index);
            stores.push_back(false);
        }
        access.group = group;
        stores[group] = stores[group] || llvm::isa<llvm::StoreInst>(access.instruction);
    }
    return stores;
}

// How many comparisons groupsApart makes: one per pair of groups of which one holds a store.
unsigned groupComparisons(llvm::ArrayRef<bool> groupStores);

// Whether each group with a store is apart from every other group, given each group's byte
// interval [low, high) (computed by the caller where `builder` emits), compared with
// `lessOrEqual` (ule or sle, as the caller's intervals are numbers).
llvm::Value *groupsApart(llvm::IRBuilder<> &builder, llvm::ArrayRef<llvm::Value *> low, llvm::ArrayRef<llvm::Value *> high,
                         llvm::ArrayRef<bool> groupStores, llvm::CmpInst::Predicate lessOrEqual);

// Alias scopes for accesses in groups that a rewritten loop's preheader checked apart (the
// access and its group): every group with a store gets a scope in a new domain named `domain`,
// and every access is declared in its group's scope and not aliasing the other groups' stores
// (added to the scopes it may have already).
void setGroupScopes(llvm::ArrayRef<std::pair<llvm::Instruction *, unsigned>> accesses,
                    llvm::ArrayRef<bool> groupStores, llvm::StringRef domain);

// A pass's run over a function: `rewrite` each loop it had at the start, outer ones first (true
// when it changed it; it leaves alone the loops it does not handle, may add loops to LoopInfo,
// and keeps LoopInfo up to date but not the dominator tree).
llvm::PreservedAnalyses rewriteLoops(llvm::Function &function, llvm::FunctionAnalysisManager &analyses,
                                     llvm::function_ref<bool(llvm::Loop &, llvm::LoopInfo &)> rewrite);

} // namespace wasmc
