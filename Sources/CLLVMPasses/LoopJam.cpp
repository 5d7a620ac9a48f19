// LoopJam.cpp: unroll-and-jam of a counted loop around single-block innermost loops that
// accumulate into memory the outer loop does not move, so that the accumulators are loaded and
// stored once for `factor` outer iterations instead of once for each.
//
// A layer of an MLP, or a matrix product, done a row of weights at a time:
//
//   for (i = 0; i < IN; i++) {            // the outer loop
//       a = x[i];                         // values for the inner loop
//       for (o = 0; o < OUT; o++)         // the inner loop
//           y[o] += a * w[i][o];
//   }
//
// reads and writes all of y for every i. Native code keeps such rows in registers when the
// compiler can tell y from w; in one linear memory nothing tells them apart, and the loop is
// bound by y's loads and stores. With the outer loop stepping by F, the values of iterations
// i .. i + F - 1 computed one after the other and the inner body running their F bodies one
// after the other,
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
// The outer loop's body is blocks and single-block inner loops (clang's vector loop and the
// scalar loop for the rest of a row, behind guards) that run the same way in every outer
// iteration: every branch outside the inner loops but the exit tests a value that is the same
// in every iteration, as do the phis after the header, and every inner loop counts from and to
// such values. Every other phi is an induction (CountedLoops.h); an inner induction may start
// where the outer loop moves it (a row pointer), each copy then having its own. The blocks
// outside the inner loops may load and store (clang peels an iteration into one); nothing but
// the outer increments is used after the nest. Accesses are wasm loads and stores at `base + zext(A) + constant`, A linear
// in the phis.
//
// Accesses whose A differ by a constant form a group. A group with a store is in one block (the
// copies of a block run in order). In an inner loop it holds accumulators: its addresses are
// the same in every outer iteration, its accesses are all of one type, and
// each distinct constant is a slot (a row of accumulators, y above; a layer done four inputs at a
// time has four). Distinct inner iterations must touch distinct bytes of a slot.
//
// In the jammed body, a load of a slot that a copy after the first makes takes the value the
// copies before last stored (or loaded) there, and only the last store to the slot stays.
//
// The jammed nest runs only where its assumptions hold, which the preheader tests; the original
// nest runs otherwise:
//  - the exits are reached (those of the inner loops on the path) and the outer trip count is a
//    multiple of F;
//  - no address wraps around 4 GiB in the nest (each A stays in [0, 2^32) at every corner of the
//    iteration space, so the bytes an access touches are an interval);
//  - the bytes each group with a store touches over the whole nest do not overlap any other
//    group's, and the slots of a group do not overlap each other.
// The preheader computes the path's values (a phi after the header is the value coming in from
// the block the path takes), and an access off the path touches nothing. The jammed accesses
// then get alias scopes that say so, for the vectorizer and LoopDevectorize after.
#include "Passes.h"
#include "CountedLoops.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>

using namespace llvm;
using wasmc::ExitTest;
using wasmc::Induction;
using wasmc::Linear;

namespace {

// Each jammed inner body stays below this many instructions (LoopDevectorize takes 400).
constexpr unsigned maxJammedSize = 400;
constexpr unsigned maxFactor = 4;
constexpr unsigned maxInnerLoops = 4;
// At most this many group comparisons in the preheader. LoopVectorize allows 8 before each
// entry of a loop; these run once for a whole nest.
constexpr unsigned maxRangeChecks = 32;
// Trip counts above this run the original: the address intervals below stay within 63 bits.
constexpr uint64_t maxTrips = uint64_t(1) << 30;

// An inner loop: a single block, entered from `preheader`.
struct InnerLoop {
    Loop *loop;
    BasicBlock *body;
    BasicBlock *preheader;
    SmallVector<Induction, 4> inductions;
    std::optional<ExitTest> exit; // points into `inductions`: an InnerLoop is not moved

    bool isCounting(const Instruction *instruction) const {
        return instruction == exit->compare || instruction == exit->narrowing || instruction == exit->branch;
    }
    Value *start(const PHINode *phi) const { return phi->getIncomingValueForBlock(preheader); }
};

// A load or store at `base + zext(index) + offset`.
struct Access {
    Instruction *instruction;
    Linear index;      // the wasm address (i32), linear in the nest's phis
    int64_t offset;    // constant bytes added after the extension
    Type *type;        // what is loaded or stored
    InnerLoop *inner;  // the inner loop it is in, or null
    unsigned group;    // accesses whose indices differ by a constant share a group

    int64_t distance() const { return index.constant.getSExtValue() + offset; }
};

class Jammer {
  public:
    Jammer(Loop &outer, LoopInfo &loops)
        : outer(outer), loops(loops), preheader(outer.getLoopPreheader()), header(outer.getHeader()),
          latch(outer.getLoopLatch()), layout(header->getModule()->getDataLayout()) {}

    bool run() {
        if (!analyse()) return false;
        IRBuilder<> builder(preheader->getTerminator());
        wasmc::keepOriginalLoop(outer, loops, assumptionsHold(builder), "jam", "unjammed");
        rewrite();
        return true;
    }

  private:
    Loop &outer;
    LoopInfo &loops;
    BasicBlock *preheader;
    BasicBlock *header;
    BasicBlock *latch;
    const DataLayout &layout;
    SmallVector<Induction, 4> outerInductions;
    std::optional<ExitTest> outerExit;
    SmallVector<std::unique_ptr<InnerLoop>, 2> inners;
    DenseMap<const BasicBlock *, InnerLoop *> innerOf; // by body
    SmallVector<BasicBlock *, 8> order;                 // blocks, each inner loop's once, in path order
    Value *base = nullptr;
    SmallVector<Access, 16> accesses;
    SmallVector<bool, 4> groupStores;   // per group: whether it holds a store
    SmallVector<int64_t, 4> slotGaps;   // per group with a store: the least distance between two slots
    SmallVector<uint64_t, 4> slotMoves; // per group with a store: |bytes per inner iteration|
    unsigned factor = 0;
    mutable DenseMap<const Value *, bool> invariance;
    DenseMap<Value *, Value *> evaluated; // values computed in the preheader
    DenseMap<BasicBlock *, Value *> taken; // whether the path runs through a block, in the preheader

    bool isOuterIncrement(const Instruction *instruction) const {
        return any_of(outerInductions, [&](const Induction &induction) { return induction.increment == instruction; });
    }
    bool usedOutsideNest(const Instruction &instruction) const {
        return any_of(instruction.users(), [&](const User *user) { return !outer.contains(cast<Instruction>(user)); });
    }
    bool isInvariant(const Value *value) const;
    bool isAtomPhi(const Value *value) const {
        auto *phi = dyn_cast<PHINode>(value);
        return phi && (phi->getParent() == header || innerOf.count(phi->getParent()) || isInvariant(phi));
    }
    std::optional<Linear> linear(Value *value) const {
        return wasmc::linearForm(value, outer, [this](Value *atom) { return isAtomPhi(atom); });
    }
    const Induction *innerInduction(const Value *value) const;
    APInt outerMove(const Linear &index) const;
    APInt innerMove(const Linear &index) const;

    bool analyse();
    bool analyseInnerLoop(Loop &loop);
    bool analyseBlock(BasicBlock &block);
    bool findOrder();
    bool addAccess(Instruction &instruction, Value *pointer, Type *type);
    bool groupAccesses();
    Value *evaluate(IRBuilder<> &builder, Value *value);
    Value *isTaken(IRBuilder<> &builder, BasicBlock *block);
    Value *assumptionsHold(IRBuilder<> &builder);
    void rewrite();
    void forwardAccumulators(BasicBlock *body, DenseMap<Instruction *, const Access *> &jammed);
    void setScopes(const DenseMap<Instruction *, const Access *> &jammed);
};

// A value that is the same in every outer iteration: from outside the loop, or computed in it
// (outside the inner loops, without reading memory) from such values only; a phi of a block
// after the header counts when all its incoming values do (the path through the body is the
// same in every iteration, as the branches depend on such values only).
bool Jammer::isInvariant(const Value *value) const {
    auto *instruction = dyn_cast<Instruction>(value);
    if (!instruction || !outer.contains(instruction)) return true;
    if (auto known = invariance.find(instruction); known != invariance.end()) return known->second;
    invariance[instruction] = false; // while deciding: a cycle is not invariant
    bool result = instruction->getParent() != header && !innerOf.count(instruction->getParent()) &&
                  !instruction->mayReadFromMemory() && !instruction->mayHaveSideEffects() &&
                  all_of(instruction->operands(), [&](const Value *operand) { return isInvariant(operand); });
    invariance[instruction] = result;
    return result;
}

const Induction *Jammer::innerInduction(const Value *value) const {
    auto *phi = dyn_cast<PHINode>(value);
    auto found = phi ? innerOf.find(phi->getParent()) : innerOf.end();
    if (found == innerOf.end()) return nullptr;
    for (const Induction &induction : found->second->inductions)
        if (induction.phi == phi) return &induction;
    return nullptr;
}

// How far an index moves per outer iteration: through the outer phis, and through the inner
// phis whose start moves with the outer loop.
APInt Jammer::outerMove(const Linear &index) const {
    unsigned width = index.constant.getBitWidth();
    APInt total(width, 0);
    for (const Induction &induction : outerInductions)
        total += index.coefficient(induction.phi) * induction.step.sextOrTrunc(width);
    for (auto &[atom, coefficient] : index.terms)
        if (const Induction *induction = innerInduction(atom))
            total += coefficient * outerMove(*linear(innerOf.lookup(induction->phi->getParent())->start(induction->phi)));
    return total;
}

// How far an index moves per iteration of its inner loop.
APInt Jammer::innerMove(const Linear &index) const {
    unsigned width = index.constant.getBitWidth();
    APInt total(width, 0);
    for (auto &[atom, coefficient] : index.terms)
        if (const Induction *induction = innerInduction(atom)) total += coefficient * induction->step.sextOrTrunc(width);
    return total;
}

bool Jammer::analyse() {
    if (!preheader || !latch || !outer.getExitBlock() || outer.getSubLoops().empty() ||
        outer.getSubLoops().size() > maxInnerLoops)
        return false;
    for (Loop *loop : outer.getSubLoops()) {
        if (!loop->isInnermost() || loop->getNumBlocks() != 1 || !loop->getLoopPreheader() || !loop->getExitBlock())
            return false;
        inners.push_back(std::make_unique<InnerLoop>());
        InnerLoop &inner = *inners.back();
        inner.loop = loop;
        inner.body = loop->getHeader();
        inner.preheader = loop->getLoopPreheader();
        innerOf[inner.body] = &inner;
    }
    for (PHINode &phi : header->phis()) {
        auto induction = wasmc::matchInduction(phi, outer);
        if (!induction || usedOutsideNest(phi)) return false;
        outerInductions.push_back(*induction);
    }
    outerExit = wasmc::findExitTest(outer, outerInductions);
    // The trip counts (tripCount) need |step| a power of two.
    if (!outerExit || !outerExit->induction->step.trunc(outerExit->bits).abs().isPowerOf2()) return false;
    for (auto &inner : inners)
        if (!analyseInnerLoop(*inner->loop)) return false;
    if (!findOrder()) return false;
    for (BasicBlock *block : outer.blocks())
        if (!analyseBlock(*block)) return false;

    for (factor = maxFactor; factor >= 2; factor /= 2) {
        // (The coarser step must not be 0 in the bits the exit test sees.)
        bool fits = outerExit->induction->step.countr_zero() + Log2_32(factor) < outerExit->bits;
        for (auto &inner : inners) {
            unsigned size = 0;
            for (Instruction &instruction : *inner->body) size += !isa<PHINode>(instruction) && !inner->isCounting(&instruction);
            fits = fits && inner->body->size() + (factor - 1) * size <= maxJammedSize;
        }
        if (fits) break;
    }
    return factor >= 2 && groupAccesses();
}

// Every phi an induction, the count the same in every outer iteration (start and end
// invariant); other inductions may start anywhere (each copy then has its own).
bool Jammer::analyseInnerLoop(Loop &loop) {
    InnerLoop &inner = *innerOf.lookup(loop.getHeader());
    for (PHINode &phi : inner.body->phis()) {
        auto induction = wasmc::matchInduction(phi, loop);
        if (!induction || wasmc::usedOutsideBlock(phi, inner.body)) return false;
        inner.inductions.push_back(*induction);
    }
    inner.exit = wasmc::findExitTest(loop, inner.inductions);
    if (!inner.exit || !isInvariant(inner.start(inner.exit->induction->phi)) || !isInvariant(inner.exit->end) ||
        !inner.exit->induction->step.trunc(inner.exit->bits).abs().isPowerOf2())
        return false;
    for (const Induction &induction : inner.inductions)
        if (!linear(inner.start(induction.phi))) return false;
    return true;
}

// The blocks outside the inner loops: branches on invariant values only (but the exit), phis
// of invariant values only (but the header's). Loads and stores anywhere. Nothing but the
// outer increments used after the nest.
bool Jammer::analyseBlock(BasicBlock &block) {
    InnerLoop *inner = innerOf.lookup(&block);
    auto *branch = dyn_cast<BranchInst>(block.getTerminator());
    if (!branch) return false;
    if (!inner && branch != outerExit->branch && branch->isConditional() && !isInvariant(branch->getCondition()))
        return false;
    for (Instruction &instruction : block) {
        if (instruction.isTerminator()) continue;
        if (auto *phi = dyn_cast<PHINode>(&instruction)) {
            if (!inner && &block != header && !isInvariant(phi)) return false;
            continue;
        }
        if (inner && inner->isCounting(&instruction)) continue;
        if (!inner && (&instruction == outerExit->compare || &instruction == outerExit->narrowing)) continue;
        if (!isOuterIncrement(&instruction) && usedOutsideNest(instruction)) return false;
        if (inner && wasmc::usedOutsideBlock(instruction, &block)) return false;
        if (auto *load = dyn_cast<LoadInst>(&instruction)) {
            if (!load->isSimple() || !addAccess(instruction, load->getPointerOperand(), load->getType())) return false;
        } else if (auto *store = dyn_cast<StoreInst>(&instruction)) {
            if (!store->isSimple() || !addAccess(instruction, store->getPointerOperand(), store->getValueOperand()->getType()))
                return false;
        } else if (instruction.mayReadOrWriteMemory() || instruction.mayHaveSideEffects()) {
            return false;
        }
    }
    return true;
}

// The blocks of one outer iteration from the header on, each after those that lead to it (the
// inner loops' back edges and the outer one left out).
bool Jammer::findOrder() {
    SmallPtrSet<BasicBlock *, 8> visited;
    SmallVector<BasicBlock *, 8> postOrder;
    std::function<void(BasicBlock *)> visit = [&](BasicBlock *block) {
        visited.insert(block);
        for (BasicBlock *next : successors(block))
            if (next != block && next != header && outer.contains(next) && !visited.count(next)) visit(next);
        postOrder.push_back(block);
    };
    visit(header);
    order.assign(postOrder.rbegin(), postOrder.rend());
    return order.size() == outer.getNumBlocks();
}

bool Jammer::addAccess(Instruction &instruction, Value *pointer, Type *type) {
    auto address = wasmc::wasmAddress(pointer, layout);
    if (!address || !outer.isLoopInvariant(address->address->getPointerOperand()) || (base && address->base != base))
        return false;
    auto form = linear(address->index);
    if (!form) return false;
    base = address->base;
    accesses.push_back({&instruction, *form, address->offset, type, innerOf.lookup(instruction.getParent()), 0});
    return true;
}

bool Jammer::groupAccesses() {
    groupStores = wasmc::groupByTerms(MutableArrayRef<Access>(accesses));
    if (!is_contained(groupStores, true)) return false;
    SmallVector<const Access *, 4> representatives(groupStores.size(), nullptr); // each group's first
    for (const Access &access : accesses)
        if (!representatives[access.group]) representatives[access.group] = &access;
    // A group with a store is in one block: the copies of a block run in order, the blocks'
    // accesses are apart. In an inner loop it holds accumulators: the same addresses in every
    // outer iteration, other bytes in every inner iteration, one type.
    slotGaps.assign(groupStores.size(), INT64_MAX);
    slotMoves.assign(groupStores.size(), 0);
    for (const Access &access : accesses) {
        if (!groupStores[access.group]) continue;
        const Access &first = *representatives[access.group];
        if (access.instruction->getParent() != first.instruction->getParent()) return false;
        if (!access.inner) continue;
        if (access.type != first.type || !outerMove(access.index).isZero()) return false;
        int64_t moved = innerMove(access.index).getSExtValue();
        slotMoves[access.group] = uint64_t(moved < 0 ? -moved : moved);
        if (moved == 0 || slotMoves[access.group] < layout.getTypeStoreSize(access.type)) return false;
        for (const Access &other : accesses)
            if (other.group == access.group && other.distance() != access.distance())
                slotGaps[access.group] = std::min(slotGaps[access.group], std::abs(other.distance() - access.distance()));
    }
    return wasmc::groupComparisons(groupStores) <= maxRangeChecks;
}

// `value` in the nest's first iteration (the outer phis at their start), computed in the
// preheader: the invariant values the nest computes, a phi of those as the value coming in
// from the block the path takes, an inner phi as its start.
Value *Jammer::evaluate(IRBuilder<> &builder, Value *value) {
    auto *instruction = dyn_cast<Instruction>(value);
    if (!instruction || !outer.contains(instruction)) return value;
    if (Value *known = evaluated.lookup(value)) return known;
    Value *result;
    auto *phi = dyn_cast<PHINode>(instruction);
    if (phi && phi->getParent() == header) {
        result = phi->getIncomingValueForBlock(preheader);
    } else if (const Induction *induction = phi ? innerInduction(phi) : nullptr) {
        result = evaluate(builder, innerOf.lookup(phi->getParent())->start(induction->phi));
    } else if (phi) {
        result = evaluate(builder, phi->getIncomingValue(0));
        for (unsigned index = 1; index < phi->getNumIncomingValues(); ++index) {
            BasicBlock *from = phi->getIncomingBlock(index);
            Value *edge = isTaken(builder, from);
            if (auto *branch = dyn_cast<BranchInst>(from->getTerminator());
                branch->isConditional() && !innerOf.count(from) && branch->getSuccessor(0) != branch->getSuccessor(1)) {
                Value *condition = evaluate(builder, branch->getCondition());
                edge = builder.CreateAnd(edge, branch->getSuccessor(0) == phi->getParent() ? condition : builder.CreateNot(condition));
            }
            result = builder.CreateSelect(edge, evaluate(builder, phi->getIncomingValue(index)), result);
        }
    } else {
        Instruction *copy = instruction->clone();
        for (Use &use : copy->operands()) use.set(evaluate(builder, use.get()));
        builder.Insert(copy);
        result = copy;
    }
    evaluated[value] = result;
    return result;
}

// Whether one outer iteration runs through `block` (the same in every iteration), computed in
// the preheader.
Value *Jammer::isTaken(IRBuilder<> &builder, BasicBlock *block) {
    if (block == header) return builder.getTrue();
    if (Value *known = taken.lookup(block)) return known;
    Value *result = builder.getFalse();
    for (BasicBlock *from : predecessors(block)) {
        if (from == block) continue; // an inner loop's back edge
        Value *edge = isTaken(builder, from);
        auto *branch = cast<BranchInst>(from->getTerminator());
        if (branch->isConditional() && !innerOf.count(from) && branch->getSuccessor(0) != branch->getSuccessor(1)) {
            Value *condition = evaluate(builder, branch->getCondition());
            edge = builder.CreateAnd(edge, branch->getSuccessor(0) == block ? condition : builder.CreateNot(condition));
        }
        result = builder.CreateOr(result, edge);
    }
    taken[block] = result;
    return result;
}

Value *Jammer::assumptionsHold(IRBuilder<> &builder) {
    Type *i64 = builder.getInt64Ty();
    Value *holds = wasmc::exitIsReached(builder, *outerExit, preheader, "jam.exact");
    Value *outerTrips = wasmc::tripCount(builder, *outerExit, preheader, "jam.trips");
    holds = builder.CreateAnd(holds, builder.CreateICmpEQ(builder.CreateAnd(outerTrips, builder.getInt64(factor - 1)),
                                                          builder.getInt64(0)));
    holds = builder.CreateAnd(holds, builder.CreateICmpULE(outerTrips, builder.getInt64(maxTrips)));
    Value *lastOuter = builder.CreateSub(outerTrips, builder.getInt64(1));
    // Each inner loop on the path: its exit reached, its last iteration.
    DenseMap<const InnerLoop *, Value *> lastInner;
    for (auto &inner : inners) {
        Value *start = evaluate(builder, inner->start(inner->exit->induction->phi));
        Value *end = evaluate(builder, inner->exit->end);
        Value *trips = wasmc::tripCount(builder, *inner->exit, start, end, "jam.inner.trips");
        Value *fine = builder.CreateAnd(wasmc::exitIsReached(builder, *inner->exit, start, end, "jam.inner.exact"),
                                        builder.CreateICmpULE(trips, builder.getInt64(maxTrips)));
        holds = builder.CreateAnd(holds, builder.CreateOr(builder.CreateNot(isTaken(builder, inner->body)), fine));
        lastInner[inner.get()] = builder.CreateSub(trips, builder.getInt64(1));
    }

    SmallVector<Value *, 4> low(groupStores.size()), high(groupStores.size());
    for (const Access &access : accesses) {
        // The index over the whole nest, in 64 bits: first + outer move · [0, outer trips) +
        // inner move · [0, inner trips); an interval that must stay within [0, 2^32), where the
        // wasm address is the same number. An access off the path touches nothing.
        Value *first = builder.CreateZExt(
            wasmc::startValue(builder, access.index, [&](PHINode *phi) { return evaluate(builder, phi); }), i64);
        Value *lowest = first, *highest = first;
        SmallVector<std::pair<APInt, Value *>, 2> spans{{outerMove(access.index), lastOuter}};
        if (access.inner) spans.push_back({innerMove(access.index), lastInner.lookup(access.inner)});
        for (auto &[moved, trips] : spans) {
            if (moved.isZero()) continue;
            Value *span = builder.CreateMul(trips, builder.getInt64(moved.getSExtValue()));
            (moved.isNegative() ? lowest : highest) = builder.CreateAdd(moved.isNegative() ? lowest : highest, span);
        }
        Value *onPath = isTaken(builder, access.instruction->getParent());
        Value *within = builder.CreateAnd(builder.CreateICmpSGE(lowest, builder.getInt64(0)),
                                          builder.CreateICmpSLT(highest, builder.getInt64(int64_t(1) << 32)));
        holds = builder.CreateAnd(holds, builder.CreateOr(builder.CreateNot(onPath), within));
        uint64_t size = layout.getTypeStoreSize(access.type);
        Value *from = builder.CreateSelect(onPath, builder.CreateAdd(lowest, builder.getInt64(access.offset)),
                                           builder.getInt64(INT64_MAX));
        Value *to = builder.CreateSelect(onPath, builder.CreateAdd(highest, builder.getInt64(access.offset + int64_t(size))),
                                         builder.getInt64(INT64_MIN));
        Value *&groupLow = low[access.group], *&groupHigh = high[access.group];
        groupLow = groupLow ? builder.CreateBinaryIntrinsic(Intrinsic::smin, groupLow, from) : from;
        groupHigh = groupHigh ? builder.CreateBinaryIntrinsic(Intrinsic::smax, groupHigh, to) : to;
    }
    // The slots of a group apart: each spans |inner move| · (inner trips - 1) + size bytes.
    for (unsigned g = 0; g < groupStores.size(); ++g) {
        if (!groupStores[g] || slotGaps[g] == INT64_MAX) continue;
        const Access &access = *find_if(accesses, [&](const Access &access) { return access.group == g; });
        Value *span = builder.CreateAdd(builder.CreateMul(lastInner.lookup(access.inner), builder.getInt64(slotMoves[g])),
                                        builder.getInt64(layout.getTypeStoreSize(access.type)));
        holds = builder.CreateAnd(holds, builder.CreateOr(builder.CreateNot(isTaken(builder, access.inner->body)),
                                                          builder.CreateICmpSLE(span, builder.getInt64(slotGaps[g]))));
    }
    return builder.CreateAnd(holds, wasmc::groupsApart(builder, low, high, groupStores, CmpInst::ICMP_SLE));
}

void Jammer::rewrite() {
    DenseMap<Instruction *, const Access *> jammed; // every access of the jammed nest, copies too
    for (const Access &access : accesses) jammed[access.instruction] = &access;
    // What each block computes once per outer iteration, in path order: not phis, not the
    // counting of the loops.
    SmallVector<std::pair<BasicBlock *, SmallVector<Instruction *, 16>>, 8> code;
    for (BasicBlock *block : order) {
        InnerLoop *inner = innerOf.lookup(block);
        code.push_back({block, {}});
        for (Instruction &instruction : *block)
            if (!isa<PHINode>(instruction) && !instruction.isTerminator() &&
                !(inner ? inner->isCounting(&instruction)
                        : &instruction == outerExit->compare || &instruction == outerExit->narrowing))
                code.back().second.push_back(&instruction);
    }

    // Copy k computes iteration i + k's values: the outer phis plus k steps, then every block's
    // instructions on those, in path order. An inner induction whose start differs gets a phi
    // of its own. An instruction that reads no memory and none of whose operands differ is the
    // same value in every copy.
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
        for (auto &[block, instructions] : code) {
            InnerLoop *inner = innerOf.lookup(block);
            SmallVector<std::pair<PHINode *, const Induction *>, 2> ownPhis;
            if (inner)
                for (const Induction &induction : inner->inductions)
                    if (Value *start = values.lookup(inner->start(induction.phi))) {
                        PHINode *phi = PHINode::Create(induction.phi->getType(), 2,
                                                       induction.phi->getName() + ".jam" + Twine(copy), block->begin());
                        phi->addIncoming(start, inner->preheader);
                        values[induction.phi] = phi;
                        ownPhis.push_back({phi, &induction});
                    }
            for (Instruction *instruction : instructions) emit(instruction, block->getTerminator());
            for (auto [phi, induction] : ownPhis) phi->addIncoming(values.lookup(induction->increment), block);
        }
    }
    for (auto &inner : inners) forwardAccumulators(inner->body, jammed);
    setScopes(jammed);
    wasmc::stepCoarser(outer, outerInductions, *outerExit, factor, ".jam");
}

// Within a jammed inner body, an accumulator's value passes from copy to copy: a load after the
// first of its slot takes the value last stored or loaded there, and a store that a later one
// overwrites goes.
void Jammer::forwardAccumulators(BasicBlock *body, DenseMap<Instruction *, const Access *> &jammed) {
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
// jammed nest, in path order.
void Jammer::setScopes(const DenseMap<Instruction *, const Access *> &jammed) {
    SmallVector<std::pair<Instruction *, unsigned>, 16> inOrder;
    for (BasicBlock *block : order)
        for (Instruction &instruction : *block)
            if (auto access = jammed.find(&instruction); access != jammed.end())
                inOrder.push_back({&instruction, access->second->group});
    wasmc::setGroupScopes(inOrder, groupStores, "wasmc.jam");
}

} // namespace

namespace wasmc {

PreservedAnalyses LoopJamPass::run(Function &function, FunctionAnalysisManager &analyses) {
    return rewriteLoops(function, analyses, [](Loop &loop, LoopInfo &loops) { return Jammer(loop, loops).run(); });
}

} // namespace wasmc
