// LoopJam.cpp: unroll-and-jam of a counted loop around a single-block innermost loop that
// accumulates into memory the outer loop does not move, so that the accumulators are loaded and
// stored once for `factor` outer iterations instead of once for each.
//
// A layer of an MLP, or a matrix product, done a row of weights at a time:
//
//   for (i = 0; i < IN; i++) {            // the outer loop
//       a = x[i];                         // its header: values for the inner loop
//       for (o = 0; o < OUT; o++)         // the inner loop
//           y[o] += a * w[i][o];
//   }
//
// reads and writes all of y for every i. Native code keeps such rows in registers when the
// compiler can tell y from w; in one linear memory nothing tells them apart, and the loop is
// bound by y's loads and stores. With the outer loop stepping by F, the header computing the
// values of iterations i .. i + F - 1 and the inner body running their F bodies one after the
// other,
//
//   for (i = 0; i < IN; i += F) {
//       a0 = x[i]; ... aF-1 = x[i + F - 1];
//       for (o = 0; o < OUT; o++) {
//           t = y[o] + a0 * w[i][o]; ...; t = t + aF-1 * w[i + F - 1][o];
//           y[o] = t;
//       }
//   }
//
// y[o] is loaded and stored once for F products. Every y[o] still sees the same additions in the
// same order (the floating-point result is bit-equal); what moves is the order of accesses to
// different addresses, which the loop is versioned on.
//
// The nest is exactly three blocks: the outer header (the inner loop's preheader), the inner
// loop's block and the outer latch, which holds nothing but the outer inductions' increments and
// exit test. Every phi of both loops is an induction (CountedLoops.h); the inner loop's start
// values and end are the same in every outer iteration, so each runs the same number of times.
// The header may load but not store; nothing but the outer increments is used after the nest.
// Accesses are wasm loads and stores at `base + zext(A) + constant`, A linear in both loops' phis.
// Accesses whose A differ by a constant form a group. A group with a store holds accumulators:
// its addresses are the same in every outer iteration, its accesses are all of one type, and
// each distinct constant is a slot (a row of accumulators, y above; a layer done four inputs at a
// time has four). Distinct inner iterations must touch distinct bytes of a slot.
//
// In the jammed body, a load of a slot that a copy after the first makes takes the value the
// copies before last stored (or loaded) there, and only the last store to the slot stays.
//
// The jammed nest runs only where its assumptions hold, which the preheader tests; the original
// nest runs otherwise:
//  - both exits are reached and the outer trip count is a multiple of F;
//  - no address wraps around 4 GiB in the nest (each A stays in [0, 2^32) at every corner of the
//    iteration space, so the bytes an access touches are an interval);
//  - the bytes each group with a store touches over the whole nest do not overlap any other
//    group's, and the slots of a group do not overlap each other.
// Its accesses then get alias scopes that say so, for the vectorizer and LoopDevectorize after.
#include "Passes.h"
#include "CountedLoops.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

#include <map>
#include <optional>

using namespace llvm;
using wasmc::ExitTest;
using wasmc::Induction;
using wasmc::Linear;

namespace {

// The jammed inner body stays below this many instructions (LoopDevectorize takes 400).
constexpr unsigned maxJammedSize = 400;
constexpr unsigned maxFactor = 4;
// At most this many group comparisons in the preheader (LoopVectorize allows 8 by default).
constexpr unsigned maxRangeChecks = 8;
// Trip counts above this run the original: the address intervals below stay within 63 bits.
constexpr uint64_t maxTrips = uint64_t(1) << 30;

// A load or store at `base + zext(index) + offset`.
struct Access {
    Instruction *instruction;
    Linear index;   // the wasm address (i32), linear in both loops' phis
    int64_t offset; // constant bytes added after the extension
    Type *type;     // what is loaded or stored
    unsigned group; // accesses whose indices differ by a constant share a group

    int64_t distance() const { return index.constant.getSExtValue() + offset; }
};

class Jammer {
  public:
    Jammer(Loop &outer, LoopInfo &loops)
        : outer(outer), inner(*outer.getSubLoops().front()), loops(loops), preheader(outer.getLoopPreheader()),
          header(outer.getHeader()), body(inner.getHeader()), latch(outer.getLoopLatch()),
          layout(header->getModule()->getDataLayout()) {}

    bool run() {
        if (!analyse()) return false;
        IRBuilder<> builder(preheader->getTerminator());
        wasmc::keepOriginalLoop(outer, loops, assumptionsHold(builder), "jam", "unjammed");
        rewrite();
        return true;
    }

  private:
    Loop &outer;
    Loop &inner;
    LoopInfo &loops;
    BasicBlock *preheader;
    BasicBlock *header; // the outer loop's, the inner loop's preheader
    BasicBlock *body;   // the inner loop
    BasicBlock *latch;  // the outer loop's
    const DataLayout &layout;
    SmallVector<Induction, 4> outerInductions;
    SmallVector<Induction, 4> innerInductions;
    std::optional<ExitTest> outerExit;
    std::optional<ExitTest> innerExit;
    Value *base = nullptr;
    SmallVector<Access, 16> accesses;
    SmallVector<bool, 4> groupStores;     // per group: whether it holds a store
    SmallVector<int64_t, 4> slotGaps;     // per group with a store: the least distance between two slots
    SmallVector<uint64_t, 4> slotMoves;   // per group with a store: |bytes per inner iteration|
    unsigned factor = 0;

    bool isNestPhi(Value *value) const {
        auto *phi = dyn_cast<PHINode>(value);
        return phi && (phi->getParent() == header || phi->getParent() == body);
    }
    std::optional<Linear> linear(Value *value) const {
        return wasmc::linearForm(value, outer, [this](Value *atom) { return isNestPhi(atom); });
    }
    bool isOuterIncrement(const Instruction *instruction) const {
        return any_of(outerInductions, [&](const Induction &induction) { return induction.increment == instruction; });
    }
    bool isInnerCounting(const Instruction *instruction) const {
        return instruction == innerExit->compare || instruction == innerExit->narrowing ||
               instruction == innerExit->branch ||
               any_of(innerInductions, [&](const Induction &induction) { return induction.increment == instruction; });
    }
    bool usedOutsideNest(const Instruction &instruction) const {
        return any_of(instruction.users(), [&](const User *user) { return !outer.contains(cast<Instruction>(user)); });
    }
    // How far an index moves per iteration of the loop whose inductions are `inductions`.
    APInt move(const Linear &index, ArrayRef<Induction> inductions) const;

    bool analyse();
    bool analyseBlocks();
    bool addAccess(Instruction &instruction, Value *pointer, Type *type);
    bool groupAccesses();
    Value *startValue(IRBuilder<> &builder, const Linear &form) const;
    Value *assumptionsHold(IRBuilder<> &builder);
    void rewrite();
    void forwardAccumulators(DenseMap<Instruction *, const Access *> &jammed);
    void setScopes(const DenseMap<Instruction *, const Access *> &jammed);
};

APInt Jammer::move(const Linear &index, ArrayRef<Induction> inductions) const {
    unsigned width = index.constant.getBitWidth();
    APInt total(width, 0);
    for (const Induction &induction : inductions)
        total += index.coefficient(induction.phi) * induction.step.sextOrTrunc(width);
    return total;
}

bool Jammer::analyse() {
    if (outer.getSubLoops().size() != 1 || !inner.isInnermost() || inner.getNumBlocks() != 1 ||
        outer.getNumBlocks() != 3 || !preheader || !latch || !outer.getExitBlock() ||
        inner.getLoopPreheader() != header || inner.getExitBlock() != latch || latch->getSinglePredecessor() != body ||
        !latch->phis().empty())
        return false;
    auto *entry = dyn_cast<BranchInst>(header->getTerminator());
    if (!entry || entry->isConditional()) return false;
    for (PHINode &phi : header->phis()) {
        auto induction = wasmc::matchInduction(phi, outer);
        if (!induction || usedOutsideNest(phi)) return false;
        outerInductions.push_back(*induction);
    }
    // The inner loop runs the same way in every outer iteration.
    for (PHINode &phi : body->phis()) {
        auto induction = wasmc::matchInduction(phi, inner);
        if (!induction || phi.isUsedOutsideOfBlock(body) || !outer.isLoopInvariant(phi.getIncomingValueForBlock(header)))
            return false;
        innerInductions.push_back(*induction);
    }
    outerExit = wasmc::findExitTest(outer, outerInductions);
    innerExit = wasmc::findExitTest(inner, innerInductions);
    if (!outerExit || !innerExit || !outer.isLoopInvariant(innerExit->end)) return false;
    // The trip counts (tripCount) need |step| a power of two.
    for (const ExitTest *exit : {&*outerExit, &*innerExit})
        if (!exit->induction->step.trunc(exit->bits).abs().isPowerOf2()) return false;
    if (!analyseBlocks()) return false;

    unsigned size = 0;
    for (Instruction &instruction : *body) size += !isa<PHINode>(instruction) && !isInnerCounting(&instruction);
    for (factor = maxFactor; factor >= 2; factor /= 2)
        // (The coarser step must not be 0 in the bits the exit test sees.)
        if (body->size() + (factor - 1) * size <= maxJammedSize &&
            outerExit->induction->step.countr_zero() + Log2_32(factor) < outerExit->bits)
            break;
    return factor >= 2 && groupAccesses();
}

bool Jammer::analyseBlocks() {
    for (Instruction &instruction : *latch)
        if (&instruction != outerExit->branch && &instruction != outerExit->compare && &instruction != outerExit->narrowing &&
            !isOuterIncrement(&instruction))
            return false;
    for (BasicBlock *block : {header, body})
        for (Instruction &instruction : *block) {
            if (isa<PHINode>(instruction) || instruction.isTerminator()) continue;
            if (!isOuterIncrement(&instruction) && usedOutsideNest(instruction)) return false;
            if (block == body && !isInnerCounting(&instruction) && instruction.isUsedOutsideOfBlock(body)) return false;
            if (auto *load = dyn_cast<LoadInst>(&instruction)) {
                if (!load->isSimple() || !addAccess(instruction, load->getPointerOperand(), load->getType())) return false;
            } else if (auto *store = dyn_cast<StoreInst>(&instruction)) {
                if (block != body || !store->isSimple() ||
                    !addAccess(instruction, store->getPointerOperand(), store->getValueOperand()->getType()))
                    return false;
            } else if (instruction.mayReadOrWriteMemory() || instruction.mayHaveSideEffects()) {
                return false;
            }
        }
    return true;
}

bool Jammer::addAccess(Instruction &instruction, Value *pointer, Type *type) {
    auto address = wasmc::wasmAddress(pointer, layout);
    if (!address || !outer.isLoopInvariant(address->address->getPointerOperand()) || (base && address->base != base))
        return false;
    auto form = linear(address->index);
    if (!form) return false;
    base = address->base;
    accesses.push_back({&instruction, *form, address->offset, type, 0});
    return true;
}

bool Jammer::groupAccesses() {
    SmallVector<const Access *, 4> representatives;
    for (Access &access : accesses) {
        unsigned group = 0;
        while (group < representatives.size() && !representatives[group]->index.sameTerms(access.index)) ++group;
        if (group == representatives.size()) {
            representatives.push_back(&access);
            groupStores.push_back(false);
        }
        access.group = group;
        groupStores[group] = groupStores[group] || isa<StoreInst>(access.instruction);
    }
    if (!is_contained(groupStores, true)) return false;
    // Accumulators: the same addresses in every outer iteration, other bytes in every inner
    // iteration, one type.
    slotGaps.assign(groupStores.size(), INT64_MAX);
    slotMoves.assign(groupStores.size(), 0);
    for (const Access &access : accesses) {
        if (!groupStores[access.group]) continue;
        const Access &first = *representatives[access.group];
        if (access.type != first.type || !move(access.index, outerInductions).isZero()) return false;
        int64_t innerMove = move(access.index, innerInductions).getSExtValue();
        slotMoves[access.group] = uint64_t(innerMove < 0 ? -innerMove : innerMove);
        if (innerMove == 0 || slotMoves[access.group] < layout.getTypeStoreSize(access.type)) return false;
        for (const Access &other : accesses)
            if (other.group == access.group && other.distance() != access.distance())
                slotGaps[access.group] = std::min(slotGaps[access.group], std::abs(other.distance() - access.distance()));
    }
    unsigned checks = 0;
    for (unsigned g = 0; g < groupStores.size(); ++g)
        for (unsigned h = g + 1; h < groupStores.size(); ++h) checks += groupStores[g] || groupStores[h];
    return checks <= maxRangeChecks;
}

// A linear form's value in the nest's first iteration (every phi at its start).
Value *Jammer::startValue(IRBuilder<> &builder, const Linear &form) const {
    return wasmc::startValue(builder, form, [this](PHINode *phi) -> Value * {
        return phi->getParent() == header ? phi->getIncomingValueForBlock(preheader)
               : phi->getParent() == body ? phi->getIncomingValueForBlock(header)
                                          : nullptr;
    });
}

Value *Jammer::assumptionsHold(IRBuilder<> &builder) {
    Type *i64 = builder.getInt64Ty();
    Value *holds = builder.CreateAnd(wasmc::exitIsReached(builder, *outerExit, preheader, "jam.exact"),
                                     wasmc::exitIsReached(builder, *innerExit, header, "jam.inner.exact"));
    Value *outerTrips = wasmc::tripCount(builder, *outerExit, preheader, "jam.trips");
    Value *innerTrips = wasmc::tripCount(builder, *innerExit, header, "jam.inner.trips");
    holds = builder.CreateAnd(holds, builder.CreateICmpEQ(builder.CreateAnd(outerTrips, builder.getInt64(factor - 1)),
                                                          builder.getInt64(0)));
    holds = builder.CreateAnd(holds, builder.CreateICmpULE(outerTrips, builder.getInt64(maxTrips)));
    holds = builder.CreateAnd(holds, builder.CreateICmpULE(innerTrips, builder.getInt64(maxTrips)));
    Value *lastOuter = builder.CreateSub(outerTrips, builder.getInt64(1));
    Value *lastInner = builder.CreateSub(innerTrips, builder.getInt64(1));

    SmallVector<Value *, 4> low(groupStores.size()), high(groupStores.size());
    for (const Access &access : accesses) {
        // The index over the whole nest, in 64 bits: first + outer move · [0, outer trips) +
        // inner move · [0, inner trips); an interval that must stay within [0, 2^32), where the
        // wasm address is the same number.
        Value *first = builder.CreateZExt(startValue(builder, access.index), i64);
        Value *lowest = first, *highest = first;
        for (auto [moved, trips] : {std::pair{move(access.index, outerInductions), lastOuter},
                                    std::pair{move(access.index, innerInductions), lastInner}}) {
            if (moved.isZero()) continue;
            Value *span = builder.CreateMul(trips, builder.getInt64(moved.getSExtValue()));
            (moved.isNegative() ? lowest : highest) = builder.CreateAdd(moved.isNegative() ? lowest : highest, span);
        }
        holds = builder.CreateAnd(holds, builder.CreateICmpSGE(lowest, builder.getInt64(0)));
        holds = builder.CreateAnd(holds, builder.CreateICmpSLT(highest, builder.getInt64(int64_t(1) << 32)));
        uint64_t size = layout.getTypeStoreSize(access.type);
        Value *from = builder.CreateAdd(lowest, builder.getInt64(access.offset));
        Value *to = builder.CreateAdd(highest, builder.getInt64(access.offset + int64_t(size)));
        Value *&groupLow = low[access.group], *&groupHigh = high[access.group];
        groupLow = groupLow ? builder.CreateBinaryIntrinsic(Intrinsic::smin, groupLow, from) : from;
        groupHigh = groupHigh ? builder.CreateBinaryIntrinsic(Intrinsic::smax, groupHigh, to) : to;
    }
    // The slots of a group apart: each spans |inner move| · (inner trips - 1) + size bytes.
    for (unsigned g = 0; g < groupStores.size(); ++g) {
        if (!groupStores[g] || slotGaps[g] == INT64_MAX) continue;
        Type *type = find_if(accesses, [&](const Access &access) { return access.group == g; })->type;
        Value *span = builder.CreateAdd(builder.CreateMul(lastInner, builder.getInt64(slotMoves[g])),
                                        builder.getInt64(layout.getTypeStoreSize(type)));
        holds = builder.CreateAnd(holds, builder.CreateICmpSLE(span, builder.getInt64(slotGaps[g])));
    }
    for (unsigned g = 0; g < groupStores.size(); ++g)
        for (unsigned h = g + 1; h < groupStores.size(); ++h) {
            if (!groupStores[g] && !groupStores[h]) continue;
            Value *apart = builder.CreateOr(builder.CreateICmpSLE(high[g], low[h]), builder.CreateICmpSLE(high[h], low[g]));
            holds = builder.CreateAnd(holds, apart);
        }
    return holds;
}

void Jammer::rewrite() {
    DenseMap<Instruction *, const Access *> jammed; // every access of the jammed nest, copies too
    for (const Access &access : accesses) jammed[access.instruction] = &access;
    SmallVector<Instruction *, 16> headerCode, bodyCode;
    for (Instruction &instruction : *header)
        if (!isa<PHINode>(instruction) && !instruction.isTerminator()) headerCode.push_back(&instruction);
    for (Instruction &instruction : *body)
        if (!isa<PHINode>(instruction) && !isInnerCounting(&instruction)) bodyCode.push_back(&instruction);

    // Copy k computes iteration i + k's values: the outer phis plus k steps, then the header's
    // and the body's instructions on those. An instruction that reads no memory and none of
    // whose operands differ is the same value in every copy.
    for (unsigned copy = 1; copy < factor; ++copy) {
        DenseMap<Value *, Value *> values;
        IRBuilder<> builder(header->getFirstNonPHI());
        for (const Induction &induction : outerInductions)
            values[induction.phi] = builder.CreateAdd(induction.phi,
                                                      ConstantInt::get(induction.phi->getType(), induction.step * copy),
                                                      induction.phi->getName() + ".jam" + Twine(copy));
        auto emit = [&](Instruction *instruction, Instruction *before) {
            if (!instruction->mayReadOrWriteMemory() &&
                none_of(instruction->operands(), [&](Value *operand) { return values.count(operand); }))
                return;
            Instruction *clone = instruction->clone();
            for (Use &use : clone->operands())
                if (Value *value = values.lookup(use.get())) use.set(value);
            clone->insertBefore(before);
            if (instruction->hasName()) clone->setName(instruction->getName() + ".jam" + Twine(copy));
            values[instruction] = clone;
            if (auto access = jammed.find(instruction); access != jammed.end()) jammed[clone] = access->second;
        };
        for (Instruction *instruction : headerCode) emit(instruction, header->getTerminator());
        for (Instruction *instruction : bodyCode) emit(instruction, body->getTerminator());
    }
    forwardAccumulators(jammed);
    setScopes(jammed);
    wasmc::stepCoarser(outer, outerInductions, *outerExit, factor, ".jam");
}

// Within the jammed body, an accumulator's value passes from copy to copy: a load after the
// first of its slot takes the value last stored or loaded there, and a store that a later one
// overwrites goes.
void Jammer::forwardAccumulators(DenseMap<Instruction *, const Access *> &jammed) {
    std::map<std::pair<unsigned, int64_t>, Value *> known;
    std::map<std::pair<unsigned, int64_t>, StoreInst *> lastStore;
    SmallVector<Instruction *, 16> dead;
    for (Instruction &instruction : *body) {
        auto access = jammed.find(&instruction);
        if (access == jammed.end() || !groupStores[access->second->group]) continue;
        std::pair slot{access->second->group, access->second->distance()};
        if (auto *store = dyn_cast<StoreInst>(&instruction)) {
            if (StoreInst *overwritten = lastStore[slot]) dead.push_back(overwritten);
            lastStore[slot] = store;
            known[slot] = store->getValueOperand();
        } else if (Value *value = known[slot]) {
            instruction.replaceAllUsesWith(value);
            dead.push_back(&instruction);
        } else {
            known[slot] = &instruction;
        }
    }
    for (Instruction *instruction : dead) {
        jammed.erase(instruction);
        instruction->eraseFromParent();
    }
}

// The groups the preheader checked are apart (wasmc::setGroupScopes), for every access of the
// jammed nest, in block order.
void Jammer::setScopes(const DenseMap<Instruction *, const Access *> &jammed) {
    SmallVector<std::pair<Instruction *, unsigned>, 16> inOrder;
    for (BasicBlock *block : {header, body})
        for (Instruction &instruction : *block)
            if (auto access = jammed.find(&instruction); access != jammed.end())
                inOrder.push_back({&instruction, access->second->group});
    wasmc::setGroupScopes(inOrder, groupStores, "wasmc.jam");
}

} // namespace

namespace wasmc {

PreservedAnalyses LoopJamPass::run(Function &function, FunctionAnalysisManager &analyses) {
    auto &loops = analyses.getResult<LoopAnalysis>(function);
    auto &evolution = analyses.getResult<ScalarEvolutionAnalysis>(function);
    bool changed = false;
    for (Loop *loop : loops.getLoopsInPreorder()) {
        if (loop->getSubLoops().size() != 1 || !Jammer(*loop, loops).run()) continue;
        evolution.forgetLoop(loop);
        changed = true;
    }
    // LoopInfo is kept up to date, the dominator tree is not.
    return changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

} // namespace wasmc
