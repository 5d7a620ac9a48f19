// LoopReroll.cpp: rolls loops back up that the producer of the wasm module unrolled.
//
// clang -O3 unrolls many loops by 2 or 4 before it emits wasm: the loop body holds F copies
// of the source loop's body, copy k working on element j + k, and j advances by F. The trip
// count is then only known to be a multiple of F through a remainder loop that clang peeled off
// in front, so ScalarEvolution cannot compute how often the loop runs (`j += 2; j != end`), and
// the contiguous accesses of the source loop have become interleaved ones. The loop vectorizer
// gives up on or mis-costs such loops, which native code vectorizes without effort.
//
// This pass recognises that shape in single-block innermost loops and rewrites the loop to one
// copy of the body with every induction step divided by F:
//  - induction phis: `p` with `p + s` on the back edge, s a constant multiple of F;
//  - reductions: phis whose back-edge value is a chain of F operations of one kind, each taking
//    the previous one and one value of one copy (`max(max(r, x0), x1)`); the order of the
//    operations is kept, so floating-point chains stay exact;
//  - copy k must be copy 0 with each induction phi p replaced by p + k·s/F: instructions are
//    matched pairwise (same operation, operands matched), and integer values that are linear in
//    the phis (+, -, disjoint |, × and << by constants, in the type's modular arithmetic) are compared as
//    linear forms, so `(p + 4) * 8` matches `p * 8 + 32`;
//  - memory operations keep their order: every write of copy i comes before every access of
//    copy j > i and the other way round, and each copy accesses memory in copy 0's order;
//  - the loop exits through `p + s == end` (or !=): with step s/F it then exits at the same
//    point, because a power-of-two F cannot skip over `end` (see `exitIsExact`).
// Anything else in the loop (other phis, calls with effects, values used after the loop that
// would change) makes the pass leave the loop alone.
#include "Passes.h"
#include "CountedLoops.h"

#include "llvm/ADT/APInt.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/PatternMatch.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/Local.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#include <optional>

using namespace llvm;
using wasmc::ExitTest;
using wasmc::Induction;
using wasmc::Linear;

namespace {

constexpr unsigned maxFactor = 8;
constexpr unsigned maxBodySize = 400;

struct Reduction {
    PHINode *phi;
    SmallVector<Instruction *, maxFactor> chain; // chain[i] combines chain[i-1] (or phi) and inputs[i]
    SmallVector<Value *, maxFactor> inputs;
};

// A value carried from one iteration to the next: `phi` holds the previous iteration's `last`.
// Copy k uses copy k-1's value where copy 0 uses the phi (clang keeps a loaded A[j] for the
// next copy's A[j-1]); rolled, the phi carries copy 0's value (`first`).
struct Recurrence {
    PHINode *phi;
    Instruction *last;
    Instruction *first = nullptr;
};

class Reroller {
  public:
    Reroller(Loop &loop, LoopInfo &loops) : loop(loop), loops(loops), body(loop.getHeader()) {}

    bool run();

  private:
    Loop &loop;
    LoopInfo &loops;
    BasicBlock *body;
    std::optional<ExitTest> exit;
    SmallVector<Induction, 4> inductions;
    SmallVector<Reduction, 2> reductions;
    SmallVector<Recurrence, 2> recurrences;
    SmallVector<StoreInst *, 8> stores;
    DenseMap<Instruction *, unsigned> position;
    unsigned factor = 0;

    // The matching state: which copy owns an instruction, and copy 0's counterparts.
    DenseMap<Instruction *, unsigned> owner;
    SmallVector<DenseMap<Instruction *, Instruction *>, maxFactor> counterparts;

    bool analyse();
    bool findInductionsAndReductions();
    bool findReduction(PHINode &phi, Instruction *next);
    bool tryFactor(unsigned candidate);
    bool match(Value *first, Value *other, unsigned copy);
    bool matchOperands(Instruction *first, Instruction *other, unsigned copy, bool swapped);
    bool checkCoverage();
    bool checkMemoryOrder();
    void keepOriginalForInexactExits();
    void rewrite();

    const Induction *induction(Value *value) const {
        for (const Induction &candidate : inductions)
            if (candidate.phi == value) return &candidate;
        return nullptr;
    }
    bool isReductionPart(Value *value) const {
        for (const Reduction &reduction : reductions) {
            if (reduction.phi == value) return true;
            for (Instruction *link : reduction.chain)
                if (link == value) return true;
        }
        return false;
    }
    std::optional<Linear> linear(Value *value) const {
        return wasmc::linearForm(value, loop, [this](Value *atom) { return induction(atom) != nullptr; });
    }
    bool isLinearHelper(Instruction *instruction) const {
        return instruction->getType()->isIntegerTy() && !isa<PHINode>(instruction) &&
               linear(instruction).has_value();
    }
};

bool Reroller::run() {
    if (!analyse()) return false;
    for (unsigned candidate = maxFactor; candidate >= 2; candidate /= 2)
        if (tryFactor(candidate)) {
            keepOriginalForInexactExits();
            rewrite();
            return true;
        }
    return false;
}

bool Reroller::analyse() {
    if (!loop.isInnermost() || loop.getNumBlocks() != 1 || !loop.getLoopPreheader() ||
        !loop.getExitBlock() || body->size() > maxBodySize)
        return false;
    unsigned index = 0;
    for (Instruction &instruction : *body) {
        position[&instruction] = index++;
        if (auto *store = dyn_cast<StoreInst>(&instruction)) {
            if (!store->isSimple()) return false;
            stores.push_back(store);
        } else if (auto *load = dyn_cast<LoadInst>(&instruction)) {
            if (!load->isSimple()) return false;
        } else if (instruction.mayHaveSideEffects() || instruction.mayReadOrWriteMemory()) {
            return false;
        }
    }
    if (!findInductionsAndReductions()) return false;
    // The exit: `increment == end`, with `end` defined outside the loop.
    exit = wasmc::findExitTest(loop, inductions);
    return exit.has_value();
}

bool Reroller::findInductionsAndReductions() {
    BasicBlock *preheader = loop.getLoopPreheader();
    for (PHINode &phi : body->phis()) {
        if (phi.getNumIncomingValues() != 2) return false;
        auto *next = dyn_cast<Instruction>(phi.getIncomingValueForBlock(body));
        if (!next || next->getParent() != body || phi.getBasicBlockIndex(preheader) < 0) return false;
        if (auto induction = wasmc::matchInduction(phi, loop)) {
            inductions.push_back(*induction);
            continue;
        }
        if (findReduction(phi, next)) continue;
        // Otherwise a recurrence, if the matching finds it to be one.
        if (isa<PHINode>(next)) return false;
        recurrences.push_back({&phi, next});
    }
    return !inductions.empty();
}

// A reduction: from the phi, a chain of one operation in which each link takes the previous one
// and one other value, ending in the back-edge value `next`.
bool Reroller::findReduction(PHINode &phi, Instruction *next) {
    Reduction reduction{&phi, {}, {}};
    Value *previous = &phi;
    while (previous != next) {
        // Within the loop, the phi and every link but the last feed only the next link.
        if (!previous->hasOneUse() || reduction.chain.size() == maxFactor) return false;
        auto *link = dyn_cast<Instruction>(*previous->user_begin());
        if (!link || link->getParent() != body) return false;
        auto *intrinsic = dyn_cast<IntrinsicInst>(link);
        if (!isa<BinaryOperator>(link) && !(intrinsic && intrinsic->arg_size() == 2 && !intrinsic->mayHaveSideEffects()))
            return false;
        if (!reduction.chain.empty() && !link->isSameOperationAs(reduction.chain.front())) return false;
        Value *left = link->getOperand(0), *right = link->getOperand(1);
        Value *input = nullptr;
        if (left == previous && right != previous)
            input = right;
        else if (right == previous && left != previous && link->isCommutative())
            input = left;
        else
            return false;
        reduction.chain.push_back(link);
        reduction.inputs.push_back(input);
        previous = link;
    }
    reductions.push_back(std::move(reduction));
    return true;
}

bool Reroller::tryFactor(unsigned candidate) {
    factor = candidate;
    if (stores.size() % factor != 0) return false;
    for (const Reduction &reduction : reductions)
        if (reduction.chain.size() != factor) return false;
    if (stores.empty() && reductions.empty()) return false;
    for (const Induction &candidateInduction : inductions)
        if (candidateInduction.step.srem(factor) != 0)
            return false;
    owner.clear();
    counterparts.assign(factor, DenseMap<Instruction *, Instruction *>());
    for (Recurrence &recurrence : recurrences) recurrence.first = nullptr;
    unsigned perCopy = stores.size() / factor;
    for (unsigned copy = 1; copy < factor; ++copy) {
        for (unsigned index = 0; index < perCopy; ++index)
            if (!match(stores[index], stores[copy * perCopy + index], copy)) return false;
        for (const Reduction &reduction : reductions)
            if (!match(reduction.inputs[0], reduction.inputs[copy], copy)) return false;
    }
    // Each recurrence: copy 0 used the phi, so `first` is known; the last copy's value of it
    // must be what the phi receives.
    for (Recurrence &recurrence : recurrences)
        if (!recurrence.first || owner.lookup(recurrence.first) != 0 ||
            counterparts[factor - 1].lookup(recurrence.first) != recurrence.last)
            return false;
    return checkCoverage() && checkMemoryOrder();
}

// Whether `other` (in copy `copy`) computes what `first` (in copy 0) computes with every
// induction phi p advanced by copy · step(p) / factor.
bool Reroller::match(Value *first, Value *other, unsigned copy) {
    if (first->getType() != other->getType()) return false;
    auto *firstInstruction = dyn_cast<Instruction>(first);
    auto *otherInstruction = dyn_cast<Instruction>(other);
    bool firstInside = firstInstruction && loop.contains(firstInstruction);
    bool otherInside = otherInstruction && loop.contains(otherInstruction);
    for (Recurrence &recurrence : recurrences) {
        if (other == recurrence.phi) return false;
        if (first != recurrence.phi) continue;
        // Copy k reads copy k-1's value where copy 0 reads the phi.
        auto *value = dyn_cast<Instruction>(other);
        if (!value || !loop.contains(value) || isa<PHINode>(value)) return false;
        if (copy == 1) {
            if (recurrence.first && recurrence.first != value) return false;
            recurrence.first = value;
            return true;
        }
        return recurrence.first && counterparts[copy - 1].lookup(recurrence.first) == value;
    }
    if (isReductionPart(first) || isReductionPart(other)) return false;
    if (first->getType()->isIntegerTy() && (firstInside || otherInside)) {
        auto firstForm = linear(first), otherForm = linear(other);
        if (firstForm && otherForm) {
            Linear shifted = *firstForm;
            unsigned width = shifted.constant.getBitWidth();
            for (const Induction &candidate : inductions) {
                APInt coefficient = firstForm->coefficient(candidate.phi);
                if (coefficient.isZero()) continue;
                shifted.constant += coefficient * candidate.rolledStep(factor).sextOrTrunc(width) * APInt(width, copy);
            }
            return shifted == *otherForm;
        }
    }
    if (!firstInside || !otherInside) return first == other;
    if (first == other) return false;
    auto existing = counterparts[copy].find(firstInstruction);
    if (existing != counterparts[copy].end()) return existing->second == otherInstruction;
    if (auto it = owner.find(firstInstruction); it != owner.end() && it->second != 0) return false;
    if (owner.count(otherInstruction)) return false;
    if (isa<PHINode>(firstInstruction) || firstInstruction->isTerminator() ||
        !firstInstruction->isSameOperationAs(otherInstruction, Instruction::CompareIgnoringAlignment))
        return false;
    if (auto *call = dyn_cast<CallBase>(firstInstruction); call && !isa<IntrinsicInst>(call)) return false;
    bool commutative = firstInstruction->isCommutative();
    decltype(owner) savedOwner;
    decltype(counterparts) savedCounterparts;
    if (commutative) savedOwner = owner, savedCounterparts = counterparts;
    auto pair = [&] {
        owner[firstInstruction] = 0;
        owner[otherInstruction] = copy;
        counterparts[copy][firstInstruction] = otherInstruction;
    };
    pair();
    if (matchOperands(firstInstruction, otherInstruction, copy, false)) return true;
    if (!commutative) return false;
    // The operands the other way round, from the state before the first attempt.
    owner = std::move(savedOwner);
    counterparts = std::move(savedCounterparts);
    pair();
    return matchOperands(firstInstruction, otherInstruction, copy, true);
}

bool Reroller::matchOperands(Instruction *first, Instruction *other, unsigned copy, bool swapped) {
    for (unsigned index = 0; index < first->getNumOperands(); ++index) {
        unsigned otherIndex = swapped && index < 2 ? 1 - index : index;
        if (!match(first->getOperand(index), other->getOperand(otherIndex), copy)) return false;
    }
    return true;
}

bool Reroller::checkCoverage() {
    SmallPtrSet<Instruction *, 8> increments;
    for (const Induction &candidate : inductions) increments.insert(candidate.increment);
    for (Instruction &instruction : *body) {
        if (&instruction == exit->branch || &instruction == exit->compare || &instruction == exit->narrowing) continue;
        bool usedOutside = wasmc::usedOutsideBlock(instruction, body);
        if (isa<PHINode>(instruction)) {
            // The phi's last value would differ: it is the value of the last copy now.
            if (usedOutside) return false;
            continue;
        }
        if (isReductionPart(&instruction)) {
            // Links feed the next link (checked when found); the last one the phi and code
            // after the loop, which will read the first link instead.
            for (const Reduction &reduction : reductions)
                if (reduction.chain.back() == &instruction)
                    for (User *user : instruction.users())
                        if (user != reduction.phi && loop.contains(cast<Instruction>(user))) return false;
            continue;
        }
        if (increments.contains(&instruction)) continue; // its last value is kept, see rewrite()
        auto it = owner.find(&instruction);
        if (it == owner.end()) {
            // Pure integer arithmetic on the phis, the addresses of the copies.
            if (!isLinearHelper(&instruction) || usedOutside) return false;
            continue;
        }
        // After the loop, a recurrence's last value is read from copy 0's (see rewrite()).
        bool lastOfRecurrence = any_of(recurrences, [&](const Recurrence &r) { return r.last == &instruction; });
        if (usedOutside && !lastOfRecurrence) return false;
        if (it->second == 0) continue;
        // An instruction of copy k feeds only copy k (or its reduction link, or as a
        // recurrence's value copy k + 1 and the phi).
        bool carried = false;
        for (const Recurrence &recurrence : recurrences)
            carried |= counterparts[it->second].lookup(recurrence.first) == &instruction;
        for (User *user : instruction.users()) {
            auto *userInstruction = cast<Instruction>(user);
            if (!loop.contains(userInstruction)) continue; // a recurrence's last value, checked above
            auto userOwner = owner.find(userInstruction);
            if (userOwner != owner.end() && userOwner->second == it->second) continue;
            if (carried && ((userOwner != owner.end() && userOwner->second == it->second + 1) ||
                            any_of(recurrences, [&](const Recurrence &r) { return r.phi == userInstruction; })))
                continue;
            bool feedsReduction = false;
            for (const Reduction &reduction : reductions)
                feedsReduction |= reduction.inputs[it->second] == &instruction &&
                                  reduction.chain[it->second] == userInstruction;
            if (!feedsReduction) return false;
        }
    }
    // The exit induction's finer step must not let it skip over `end`.
    return wasmc::finerStepKeepsExit(*exit, factor);
}

bool Reroller::checkMemoryOrder() {
    SmallVector<Instruction *, 16> firstAccesses;
    for (Instruction &instruction : *body)
        if (instruction.mayReadOrWriteMemory()) {
            auto it = owner.find(&instruction);
            if (it == owner.end()) return false;
            if (it->second == 0) firstAccesses.push_back(&instruction);
        }
    // Between copies: every write of copy i before every access of copy j > i, and the reverse.
    for (Instruction &a : *body)
        for (Instruction &b : *body) {
            if (!a.mayReadOrWriteMemory() || !b.mayReadOrWriteMemory()) continue;
            if (!a.mayWriteToMemory() && !b.mayWriteToMemory()) continue;
            if (owner[&a] < owner[&b] && position[&a] > position[&b]) return false;
        }
    // Within a copy: copy 0's order.
    for (unsigned copy = 1; copy < factor; ++copy)
        for (unsigned i = 0; i < firstAccesses.size(); ++i)
            for (unsigned j = i + 1; j < firstAccesses.size(); ++j) {
                if (!firstAccesses[i]->mayWriteToMemory() && !firstAccesses[j]->mayWriteToMemory()) continue;
                auto *a = counterparts[copy].lookup(firstAccesses[i]);
                auto *b = counterparts[copy].lookup(firstAccesses[j]);
                if (!a || !b || position[a] > position[b]) return false;
            }
    return true;
}

// The rolled loop leaves at the same point as the original only if the original leaves at all:
// `p + s == end` is reached from `start` only when end - start is a multiple of 2^tz(s), while
// the smaller step s/F reaches more values. A module that enters the loop otherwise (clang's
// remainder loop sees to it that it does not) would loop on, or trap, in the original. So the
// loop is versioned on that test, and the original stays for the entries that fail it.
void Reroller::keepOriginalForInexactExits() {
    BasicBlock *preheader = loop.getLoopPreheader();
    IRBuilder<> builder(preheader->getTerminator());
    Value *exact = wasmc::exitIsReached(builder, *exit, preheader, "reroll.exact");
    wasmc::keepOriginalLoop(loop, loops, exact, "reroll", "unrolled");
}

void Reroller::rewrite() {
    // Inductions step by s / F.
    wasmc::stepFiner(loop, inductions, *exit, factor, ".reroll");
    // Copy 0's instructions now compute every copy's values: keep only the flags and metadata
    // that hold for all of them.
    for (unsigned copy = 1; copy < factor; ++copy)
        for (auto &[first, other] : counterparts[copy]) {
            first->andIRFlags(other);
            if (auto *truncation = dyn_cast<TruncInst>(first)) {
                auto *otherTruncation = cast<TruncInst>(other);
                truncation->setHasNoUnsignedWrap(truncation->hasNoUnsignedWrap() && otherTruncation->hasNoUnsignedWrap());
                truncation->setHasNoSignedWrap(truncation->hasNoSignedWrap() && otherTruncation->hasNoSignedWrap());
            }
            combineMetadataForCSE(first, other, false);
        }
    // The arithmetic between the phis and the matched instructions runs on new phi values: it
    // must compute its linear form exactly, without flags that held for the old values only
    // (a disjoint `or` becomes the `add` it stood for).
    for (Instruction &instruction : make_early_inc_range(*body)) {
        if (owner.count(&instruction) || isa<PHINode>(&instruction) || !isLinearHelper(&instruction)) continue;
        wasmc::recomputeExactly(instruction);
    }
    // Recurrences: the phi carries copy 0's value, which in the last iteration is what the last
    // copy computed, so code after the loop reads it too.
    for (Recurrence &recurrence : recurrences) {
        recurrence.phi->setIncomingValueForBlock(body, recurrence.first);
        recurrence.last->replaceUsesOutsideBlock(recurrence.first, body);
    }
    // Reductions: the first link closes the chain.
    for (Reduction &reduction : reductions) {
        Instruction *first = reduction.chain.front();
        for (Instruction *link : ArrayRef(reduction.chain).drop_front()) first->andIRFlags(link);
        reduction.chain.back()->replaceUsesOutsideBlock(first, body);
        reduction.phi->setIncomingValueForBlock(body, first);
    }
    // Drop the other copies: their stores, the rest of each chain, then whatever is now dead.
    for (unsigned index = stores.size() / factor; index < stores.size(); ++index) stores[index]->eraseFromParent();
    for (Reduction &reduction : reductions)
        for (Instruction *link : reverse(ArrayRef(reduction.chain).drop_front())) link->eraseFromParent();
    bool erased = true;
    while (erased) {
        erased = false;
        for (Instruction &instruction : make_early_inc_range(reverse(*body)))
            if (isInstructionTriviallyDead(&instruction)) {
                instruction.eraseFromParent();
                erased = true;
            }
    }
}

} // namespace

namespace wasmc {

PreservedAnalyses LoopRerollPass::run(Function &function, FunctionAnalysisManager &analyses) {
    return rewriteLoops(function, analyses, [](Loop &loop, LoopInfo &loops) { return Reroller(loop, loops).run(); });
}

} // namespace wasmc
