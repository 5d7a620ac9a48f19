// LoopDevectorize.cpp: turns the wasm producer's 128-bit SIMD loops back into loops over one
// lane, so that LLVM's loop vectorizer can vectorize them for the host's vector width.
//
// A module built with -msimd128 carries its hot loops already vectorized for wasm's 128-bit
// vectors: `C[j..j+3] += a * B[j..j+3]`, j += 4. Compiled as they are, such loops use a quarter
// of an AVX-512 register and half of an AVX2 one, and the loop vectorizer does not touch loops
// whose values are vectors. Where every vector operation of the loop works lane by lane, lane k
// of iteration t is what iteration L·t + k of the loop over one lane computes (L lanes), with
// every induction stepping L times more finely. The vectorizer then picks the host's width and
// interleaving itself.
//
// The pass handles single-block innermost loops in which:
//  - every integer phi is an induction and the loop leaves through `phi + step == end` (as
//    LoopReroll); a vector phi is a recurrence (below);
//  - the vectors the loop computes with have the same number of lanes L (other shapes of the
//    same 128 bits, `<2 x i64>` or `<16 x i8>`, may carry lanes through loads, stores, bitcasts
//    and recurrences, a lane becoming an integer of its bits);
//  - the loop loads and stores only 128-bit vectors, at addresses `base + zext(A) + constant`,
//    A the i32 wasm address, linear in the phis and moving by exactly 16 bytes per iteration
//    (A moves by 16/L bytes in the finer loop, so lane k's bytes are those of iteration L·t + k);
//  - every other vector operation works lane by lane (arithmetic, comparisons, selects, casts
//    that keep the lanes, LLVM's lane-wise intrinsics), and vectors from outside the loop are
//    splats of one value;
//  - nothing but the inductions' increments is used after the loop;
//  - a vector phi is read only by shuffles that take its last lane and the first L - 1 lanes of
//    the vector it carries to the next iteration (clang's vector form of `x[j - 1]` next to
//    `x[j]`): lane k of such a shuffle is what the finer loop computed one iteration before, so
//    the phi becomes a scalar phi carrying that value, starting with the initial vector's last
//    lane.
// In-place updates (load and store of the same A) are fine: lane k only ever touches its own
// element. Within a group of addresses a constant distance apart, a multiple of 16 bytes keeps
// every element on the same lane, so the order of the accesses to it is kept too; a group with
// a store and other distances is left alone.
//
// The finer loop runs only where its assumptions hold, which the preheader tests; the original
// loop runs otherwise:
//  - the exit is reached (see exitIsReached in CountedLoops.h);
//  - no vector straddles the end of the 4 GiB address space: the i32 address of the last lane
//    would wrap to 0 in the finer loop, where the original access traps;
//  - the bytes a group with a store touches over the whole loop do not overlap those of any
//    other group, because the finer loop interleaves the lanes of different accesses.
// The finer loop's accesses then get alias scopes that say so, and the vectorizer needs no
// run-time checks of its own.
//
// The pass only runs where the host's vectors are wider than 128 bits (AVX2, AVX-512): on
// 128-bit hosts the original loop already has the host's width.
#include "Passes.h"
#include "CountedLoops.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/Analysis/VectorUtils.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/PatternMatch.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/Local.h"

#include <optional>

using namespace llvm;
using wasmc::ExitTest;
using wasmc::Induction;
using wasmc::Linear;

namespace {

constexpr unsigned vectorBytes = 16;
constexpr unsigned maxBodySize = 400;
// At most this many group comparisons in the preheader (LoopVectorize allows 8 by default).
constexpr unsigned maxRangeChecks = 8;
// The loop vectorizer leaves loops alone that run fewer times than this (its tiny-trip-count
// threshold), so a loop known to be that short stays as it is.
constexpr uint64_t minFinerTrips = 16;

// A load or store of a 128-bit vector at `base + zext(index) + offset`.
struct Access {
    Instruction *instruction;
    Value *base;
    Linear index;     // the wasm address (i32, zero-extended)
    int64_t offset;   // constant bytes added after the extension
    unsigned group;   // accesses whose indices differ by a constant share a group

    // The position within the group: the index's constant plus the offset.
    int64_t distance() const { return index.constant.getSExtValue() + offset; }
};

class Devectorizer {
  public:
    Devectorizer(Loop &loop, LoopInfo &loops)
        : loop(loop), loops(loops), body(loop.getHeader()), preheader(loop.getLoopPreheader()),
          layout(body->getModule()->getDataLayout()) {}

    bool run() {
        if (!analyse()) return false;
        IRBuilder<> builder(preheader->getTerminator());
        wasmc::keepOriginalLoop(loop, loops, assumptionsHold(builder), "lanes", "simd128");
        rewrite();
        return true;
    }

  private:
    Loop &loop;
    LoopInfo &loops;
    BasicBlock *body;
    BasicBlock *preheader;
    const DataLayout &layout;
    SmallVector<Induction, 4> inductions;
    std::optional<ExitTest> exit;
    unsigned lanes = 0;
    SmallVector<Access, 8> accesses;
    SmallVector<bool, 4> groupStores; // per group: whether it holds a store
    SmallVector<Instruction *, 16> vectorInstructions;
    SmallVector<PHINode *, 4> recurrences; // vector phis carrying a vector to the next iteration

    std::optional<Linear> linear(Value *value) const {
        return wasmc::linearForm(value, loop, [this](Value *atom) { return isa<PHINode>(atom) && loop.contains(cast<PHINode>(atom)); });
    }
    APInt stepOf(Value *atom, bool finer) const {
        for (const Induction &induction : inductions)
            if (induction.phi == atom) return finer ? induction.rolledStep(lanes) : induction.step;
        return APInt();
    }

    bool analyse();
    bool findLanes();
    bool hasLanes(Type *type) const;
    Type *laneType(Type *type) const;
    bool isRecurrenceShuffle(Instruction &instruction) const;
    bool isRecurrence(PHINode &phi) const;
    bool isLaneWise(Instruction &instruction);
    bool isScalarizable(Value *vector) const;
    bool isSplatHelper(Instruction &instruction) const;
    bool isInvariantSplat(Value *vector) const;
    Value *invariantScalar(Value *vector) const;
    bool addAccess(Instruction &instruction, Value *pointer);
    bool groupAccesses();
    Value *startValue(IRBuilder<> &builder, const Linear &form) const;
    Value *assumptionsHold(IRBuilder<> &builder);
    void rewrite();
    void setScopes(const DenseMap<Value *, Value *> &scalars);
};

bool Devectorizer::analyse() {
    if (!loop.isInnermost() || loop.getNumBlocks() != 1 || !preheader || !loop.getExitBlock() ||
        body->size() > maxBodySize)
        return false;
    for (PHINode &phi : body->phis()) {
        if (wasmc::usedOutsideBlock(phi, body)) return false;
        if (auto induction = wasmc::matchInduction(phi, loop))
            inductions.push_back(*induction);
        else if (phi.getType()->isVectorTy())
            recurrences.push_back(&phi); // checked once the block is
        else
            return false;
    }
    exit = wasmc::findExitTest(loop, inductions);
    if (!exit || !findLanes()) return false;
    // The finer exit test is found from the trip count below, which needs |step| a power of two.
    if (!exit->induction->step.trunc(exit->bits).abs().isPowerOf2()) return false;

    bool stores = false;
    for (Instruction &instruction : *body) {
        if (isa<PHINode>(instruction) || &instruction == exit->branch || &instruction == exit->compare ||
            &instruction == exit->narrowing)
            continue;
        bool increment = any_of(inductions, [&](const Induction &induction) { return induction.increment == &instruction; });
        if (!increment && wasmc::usedOutsideBlock(instruction, body)) return false;
        if (auto *load = dyn_cast<LoadInst>(&instruction)) {
            if (!load->isSimple() || !laneType(load->getType()) || !addAccess(instruction, load->getPointerOperand()))
                return false;
            vectorInstructions.push_back(&instruction);
        } else if (auto *store = dyn_cast<StoreInst>(&instruction)) {
            if (!store->isSimple() || !laneType(store->getValueOperand()->getType()) ||
                !isScalarizable(store->getValueOperand()) || !addAccess(instruction, store->getPointerOperand()))
                return false;
            vectorInstructions.push_back(&instruction);
            stores = true;
        } else if (instruction.mayReadOrWriteMemory() || instruction.mayHaveSideEffects()) {
            return false;
        } else if (isSplatHelper(instruction)) {
            continue; // dies once its users are scalar
        } else if (instruction.getType()->isVectorTy() ||
                   any_of(instruction.operands(), [](Value *operand) { return operand->getType()->isVectorTy(); })) {
            if (!isLaneWise(instruction)) return false;
            vectorInstructions.push_back(&instruction);
        } else if (isa<ZExtInst, SExtInst, TruncInst, GetElementPtrInst>(instruction)) {
            continue; // address arithmetic, checked where an access uses it
        } else if (!instruction.getType()->isIntegerTy() || !linear(&instruction)) {
            return false;
        }
    }
    if (!stores || !all_of(recurrences, [&](PHINode *phi) { return isRecurrence(*phi); })) return false;
    for (const Induction &induction : inductions)
        if (induction.step.srem(lanes) != 0) return false;
    if (!wasmc::finerStepKeepsExit(*exit, lanes)) return false;
    // A known short loop: the vectorizer would leave the finer one scalar.
    auto *start = dyn_cast<ConstantInt>(exit->induction->phi->getIncomingValueForBlock(preheader));
    auto *end = dyn_cast<ConstantInt>(exit->end);
    if (start && end) {
        APInt first = start->getValue().trunc(exit->bits), last = end->getValue().trunc(exit->bits);
        APInt distance = exit->induction->step.trunc(exit->bits).isNegative() ? first - last : last - first;
        APInt finerStep = exit->induction->rolledStep(lanes).trunc(exit->bits).abs();
        if (!distance.isZero() && distance.udiv(finerStep).ult(minFinerTrips)) return false;
    }
    return groupAccesses();
}

// The number of lanes L: that of the vectors the loop computes with (the producer's other
// shapes of the same 128 bits, `<2 x i64>` or `<16 x i8>`, only carry them), or of the vectors
// it moves when it computes nothing.
bool Devectorizer::findLanes() {
    for (Instruction &instruction : *body) {
        auto *vector = dyn_cast<FixedVectorType>(instruction.getType());
        if (!vector || isa<PHINode, LoadInst, BitCastInst, ShuffleVectorInst, InsertElementInst>(instruction)) continue;
        if (lanes != 0 && lanes != vector->getNumElements()) return false;
        lanes = vector->getNumElements();
    }
    for (Instruction &instruction : *body) {
        if (lanes != 0) break;
        Type *type = isa<StoreInst>(instruction) ? cast<StoreInst>(instruction).getValueOperand()->getType()
                                                 : isa<LoadInst>(instruction) ? instruction.getType() : nullptr;
        if (auto *vector = dyn_cast_or_null<FixedVectorType>(type)) lanes = vector->getNumElements();
    }
    return lanes >= 2 && lanes <= vectorBytes;
}

// A vector of `lanes` integers or floats.
bool Devectorizer::hasLanes(Type *type) const {
    auto *vector = dyn_cast<FixedVectorType>(type);
    return vector && vector->getNumElements() == lanes &&
           (vector->getElementType()->isIntegerTy() || vector->getElementType()->isFloatingPointTy());
}

// What one lane of a vector is in the finer loop: the element of a vector of `lanes` lanes, or
// an integer of a lane's bits for another shape of 128 bits; null for anything else.
Type *Devectorizer::laneType(Type *type) const {
    if (hasLanes(type)) return type->getScalarType();
    auto *vector = dyn_cast<FixedVectorType>(type);
    if (!vector || vector->getPrimitiveSizeInBits() != vectorBytes * 8 || !vector->getElementType()->isIntegerTy())
        return nullptr;
    return IntegerType::get(type->getContext(), vectorBytes * 8 / lanes);
}

// `shufflevector P, B` taking the last lane of P and the first L - 1 lanes of B, where P is (a
// bitcast of) a vector phi whose value from the previous iteration is (a bitcast of) B: clang's
// vector form of `x[j - 1]` next to `x[j]`. Lane k is then what the finer loop's iteration
// before computed for B, the value a scalar phi carries.
bool Devectorizer::isRecurrenceShuffle(Instruction &instruction) const {
    auto *shuffle = dyn_cast<ShuffleVectorInst>(&instruction);
    if (!shuffle || !laneType(shuffle->getType())) return false;
    auto stripCasts = [](Value *value) {
        while (auto *cast = dyn_cast<BitCastInst>(value)) value = cast->getOperand(0);
        return value;
    };
    auto *phi = dyn_cast<PHINode>(stripCasts(shuffle->getOperand(0)));
    if (!phi || !is_contained(recurrences, phi)) return false;
    if (stripCasts(shuffle->getOperand(1)) != stripCasts(phi->getIncomingValueForBlock(body))) return false;
    // A shift by L - 1 lanes across the two operands, in the shuffle's own elements.
    unsigned elements = cast<FixedVectorType>(shuffle->getType())->getNumElements();
    if (cast<FixedVectorType>(shuffle->getOperand(0)->getType())->getNumElements() != elements || elements % lanes)
        return false;
    int shift = (lanes - 1) * (elements / lanes);
    ArrayRef<int> mask = shuffle->getShuffleMask();
    for (unsigned index = 0; index < elements; ++index)
        if (mask[index] != shift + int(index)) return false;
    return true;
}

// A vector phi that only recurrence shuffles read (directly or through bitcasts they alone
// read), carrying a vector the loop computes.
bool Devectorizer::isRecurrence(PHINode &phi) const {
    auto *next = dyn_cast<Instruction>(phi.getIncomingValueForBlock(body));
    if (!laneType(phi.getType()) || !next || !loop.contains(next) || !laneType(next->getType())) return false;
    for (User *user : phi.users()) {
        auto *instruction = cast<Instruction>(user);
        if (isRecurrenceShuffle(*instruction)) continue;
        if (!isa<BitCastInst>(instruction) || !all_of(instruction->users(), [&](User *castUser) {
                return isRecurrenceShuffle(*cast<Instruction>(castUser));
            }))
            return false;
    }
    return true;
}

// A vector operand that has a scalar per lane in the finer loop: a vector computed in the loop
// (checked as it was defined: the block is in order), or a splat of a value from outside.
bool Devectorizer::isScalarizable(Value *vector) const {
    if (auto *instruction = dyn_cast<Instruction>(vector); instruction && loop.contains(instruction) &&
                                                             !isSplatHelper(*instruction))
        return true;
    return isInvariantSplat(vector);
}

// A vector whose lanes are all equal and the same in every iteration: one from outside the loop
// with equal lanes, or a splat shuffle in the loop of lane 0 of such a vector or of
// `insertelement v, x, 0` with x from outside.
bool Devectorizer::isInvariantSplat(Value *vector) const {
    if (!hasLanes(vector->getType())) return false;
    if (loop.isLoopInvariant(vector)) return isSplatValue(vector);
    auto *shuffle = dyn_cast<ShuffleVectorInst>(vector);
    if (!shuffle || !shuffle->isZeroEltSplat()) return false;
    Value *source = shuffle->getOperand(0);
    if (loop.isLoopInvariant(source)) return true;
    auto *insert = dyn_cast<InsertElementInst>(source);
    return insert && loop.contains(insert) && match(insert->getOperand(2), PatternMatch::m_Zero()) &&
           loop.isLoopInvariant(insert->getOperand(1));
}

// The value of every lane of an invariant splat, computed in the preheader where needed.
Value *Devectorizer::invariantScalar(Value *vector) const {
    if (Value *splat = getSplatValue(vector); splat && loop.isLoopInvariant(splat)) return splat;
    Value *source = loop.isLoopInvariant(vector) ? vector : cast<ShuffleVectorInst>(vector)->getOperand(0);
    if (auto *insert = dyn_cast<InsertElementInst>(source); insert && loop.contains(insert)) return insert->getOperand(1);
    IRBuilder<> builder(loop.getLoopPreheader()->getTerminator());
    return builder.CreateExtractElement(source, uint64_t(0));
}

// The pieces of an invariant splat built in the loop, which die once their users are scalar.
bool Devectorizer::isSplatHelper(Instruction &instruction) const {
    if (isa<ShuffleVectorInst>(instruction)) return isInvariantSplat(&instruction);
    auto *insert = dyn_cast<InsertElementInst>(&instruction);
    return insert && !insert->user_empty() &&
           all_of(insert->users(), [&](User *user) { return isa<ShuffleVectorInst>(user) && isInvariantSplat(user); });
}

bool Devectorizer::isLaneWise(Instruction &instruction) {
    // Another shape of the same lanes.
    if (auto *cast = dyn_cast<BitCastInst>(&instruction)) {
        Type *to = laneType(cast->getType()), *from = laneType(cast->getSrcTy());
        return to && from && to->getPrimitiveSizeInBits() == from->getPrimitiveSizeInBits() &&
               isScalarizable(cast->getOperand(0));
    }
    if (isRecurrenceShuffle(instruction)) return true;
    if (!hasLanes(instruction.getType())) return false;
    auto vectorOperandsOk = [&](iterator_range<const Use *> operands) {
        return all_of(operands, [&](const Use &use) { return hasLanes(use->getType()) && isScalarizable(use); });
    };
    if (isa<BinaryOperator, UnaryOperator, CmpInst, CastInst, FreezeInst>(instruction))
        return vectorOperandsOk(instruction.operands());
    if (auto *select = dyn_cast<SelectInst>(&instruction)) {
        Value *condition = select->getCondition();
        bool conditionOk = condition->getType()->isVectorTy() ? hasLanes(condition->getType()) && isScalarizable(condition)
                                                              : loop.isLoopInvariant(condition);
        return conditionOk && vectorOperandsOk(make_range(select->op_begin() + 1, select->op_end()));
    }
    if (auto *intrinsic = dyn_cast<IntrinsicInst>(&instruction)) {
        Intrinsic::ID id = intrinsic->getIntrinsicID();
        if (!isTriviallyVectorizable(id)) return false;
        for (unsigned index = 0; index < intrinsic->arg_size(); ++index) {
            Value *argument = intrinsic->getArgOperand(index);
            if (isVectorIntrinsicWithScalarOpAtArg(id, index)) {
                if (!loop.isLoopInvariant(argument)) return false;
            } else if (!hasLanes(argument->getType()) || !isScalarizable(argument)) {
                return false;
            }
        }
        return true;
    }
    return false;
}

bool Devectorizer::addAccess(Instruction &instruction, Value *pointer) {
    auto address = wasmc::wasmAddress(pointer, layout);
    if (!address || !loop.contains(address->address) || !loop.isLoopInvariant(address->address->getPointerOperand()))
        return false;
    Value *index = address->index;
    auto form = linear(index);
    if (!form) return false;
    // The index moves by one vector per iteration, and by one lane in the finer loop.
    unsigned width = form->constant.getBitWidth();
    APInt move(width, 0), finerMove(width, 0);
    for (auto &[atom, coefficient] : form->terms) {
        if (!isa<PHINode>(atom) || !loop.contains(cast<PHINode>(atom))) continue;
        move += coefficient * stepOf(atom, false).sextOrTrunc(width);
        finerMove += coefficient * stepOf(atom, true).sextOrTrunc(width);
    }
    if (move != vectorBytes || finerMove != vectorBytes / lanes) return false;
    accesses.push_back({&instruction, address->base, *form, address->offset, 0});
    return true;
}

bool Devectorizer::groupAccesses() {
    for (const Access &access : accesses)
        if (access.base != accesses.front().base) return false;
    groupStores = wasmc::groupByTerms(MutableArrayRef<Access>(accesses));
    // Within a group with a store, every element stays on its lane.
    for (const Access &a : accesses)
        for (const Access &b : accesses)
            if (a.group == b.group && groupStores[a.group] && (a.distance() - b.distance()) % vectorBytes != 0) return false;
    return wasmc::groupComparisons(groupStores) <= maxRangeChecks;
}

// A linear form's value in the loop's first iteration.
Value *Devectorizer::startValue(IRBuilder<> &builder, const Linear &form) const {
    return wasmc::startValue(builder, form, [this](PHINode *phi) -> Value * {
        return loop.contains(phi) ? phi->getIncomingValueForBlock(preheader) : nullptr;
    });
}

Value *Devectorizer::assumptionsHold(IRBuilder<> &builder) {
    Value *holds = wasmc::exitIsReached(builder, *exit, preheader, "lanes.exact");
    Value *trips = wasmc::tripCount(builder, *exit, preheader, "lanes.trips");
    Type *i64 = builder.getInt64Ty();
    // (With at most 2^32 iterations, nothing below overflows 64 bits.)
    holds = builder.CreateAnd(holds, builder.CreateICmpULE(trips, builder.getInt64(uint64_t(1) << 32)));
    Value *bytes = builder.CreateMul(trips, builder.getInt64(vectorBytes));

    SmallVector<Value *, 4> low(groupStores.size()), high(groupStores.size());
    for (const Access &access : accesses) {
        Value *index = builder.CreateZExt(startValue(builder, access.index), i64);
        // No vector reaches past 2^32: the finer loop's addresses would wrap around.
        holds = builder.CreateAnd(holds,
                                  builder.CreateICmpULE(builder.CreateAdd(index, bytes), builder.getInt64(uint64_t(1) << 32)));
        Value *first = builder.CreateAdd(index, builder.getInt64(access.offset));
        Value *last = builder.CreateAdd(first, bytes);
        Value *&groupLow = low[access.group], *&groupHigh = high[access.group];
        groupLow = groupLow ? builder.CreateBinaryIntrinsic(Intrinsic::umin, groupLow, first) : first;
        groupHigh = groupHigh ? builder.CreateBinaryIntrinsic(Intrinsic::umax, groupHigh, last) : last;
    }
    return builder.CreateAnd(holds, wasmc::groupsApart(builder, low, high, groupStores, CmpInst::ICMP_ULE));
}

void Devectorizer::rewrite() {
    wasmc::stepFiner(loop, inductions, *exit, lanes, ".lanes");
    // Addresses now run on the finer phis.
    for (Instruction &instruction : make_early_inc_range(*body))
        if (!isa<PHINode>(instruction) && !instruction.getType()->isVectorTy() &&
            (instruction.getType()->isIntegerTy() || isa<GetElementPtrInst>(instruction)) &&
            !is_contained(vectorInstructions, &instruction))
            wasmc::recomputeExactly(instruction);

    DenseMap<Value *, Value *> scalars;
    auto scalar = [&](Value *value) -> Value * {
        if (!value->getType()->isVectorTy()) return value;
        if (Value *known = scalars.lookup(value)) return known;
        return invariantScalar(value);
    };
    // A recurrence becomes a scalar phi: first the last lane of the vector it starts with.
    SmallVector<std::pair<PHINode *, PHINode *>, 4> carried;
    for (PHINode *recurrence : recurrences) {
        Type *lane = laneType(recurrence->getType());
        IRBuilder<> builder(loop.getLoopPreheader()->getTerminator());
        Value *initial = builder.CreateBitCast(recurrence->getIncomingValueForBlock(loop.getLoopPreheader()),
                                               FixedVectorType::get(lane, lanes));
        auto *phi = PHINode::Create(lane, 2, recurrence->getName() + ".lane", body->begin());
        phi->addIncoming(builder.CreateExtractElement(initial, uint64_t(lanes - 1)), loop.getLoopPreheader());
        scalars[recurrence] = phi;
        carried.push_back({recurrence, phi});
    }
    for (Instruction *instruction : vectorInstructions) {
        IRBuilder<> builder(instruction);
        Value *replacement = nullptr;
        if (auto *load = dyn_cast<LoadInst>(instruction)) {
            Type *element = laneType(load->getType());
            Align align = commonAlignment(load->getAlign(), layout.getTypeStoreSize(element));
            replacement = builder.CreateAlignedLoad(element, load->getPointerOperand(), align, load->getName());
        } else if (auto *store = dyn_cast<StoreInst>(instruction)) {
            Value *value = scalar(store->getValueOperand());
            Align align = commonAlignment(store->getAlign(), layout.getTypeStoreSize(value->getType()));
            replacement = builder.CreateAlignedStore(value, store->getPointerOperand(), align);
        } else if (isa<BitCastInst, ShuffleVectorInst>(instruction)) {
            // Another shape of a lane, or a recurrence's value from the iteration before.
            replacement = builder.CreateBitCast(scalar(instruction->getOperand(0)), laneType(instruction->getType()));
        } else if (auto *intrinsic = dyn_cast<IntrinsicInst>(instruction)) {
            Intrinsic::ID id = intrinsic->getIntrinsicID();
            SmallVector<Type *, 2> overloads;
            SmallVector<Value *, 4> arguments;
            if (isVectorIntrinsicWithOverloadTypeAtArg(id, -1)) overloads.push_back(intrinsic->getType()->getScalarType());
            for (unsigned index = 0; index < intrinsic->arg_size(); ++index) {
                Value *argument = scalar(intrinsic->getArgOperand(index));
                if (isVectorIntrinsicWithOverloadTypeAtArg(id, index)) overloads.push_back(argument->getType());
                arguments.push_back(argument);
            }
            Function *declaration = Intrinsic::getDeclaration(body->getModule(), id, overloads);
            auto *call = builder.CreateCall(declaration, arguments, intrinsic->getName());
            call->copyIRFlags(intrinsic);
            replacement = call;
        } else {
            Instruction *copy = instruction->clone();
            for (Use &use : copy->operands()) use.set(scalar(use.get()));
            copy->mutateType(instruction->getType()->getScalarType());
            copy->insertBefore(instruction);
            copy->takeName(instruction);
            replacement = copy;
        }
        scalars[instruction] = replacement;
    }
    // Then what the iteration computed for the recurrence's vector.
    for (auto &[recurrence, phi] : carried) {
        IRBuilder<> builder(body->getTerminator());
        phi->addIncoming(builder.CreateBitCast(scalar(recurrence->getIncomingValueForBlock(body)), phi->getType()), body);
    }
    setScopes(scalars);
    for (Instruction *instruction : reverse(vectorInstructions)) {
        instruction->replaceAllUsesWith(PoisonValue::get(instruction->getType()));
        instruction->eraseFromParent();
    }
    for (PHINode *recurrence : recurrences) {
        recurrence->replaceAllUsesWith(PoisonValue::get(recurrence->getType()));
        recurrence->eraseFromParent();
    }
    for (Instruction &instruction : make_early_inc_range(reverse(*body)))
        if (isInstructionTriviallyDead(&instruction)) instruction.eraseFromParent();
}

// The groups the preheader checked are apart (wasmc::setGroupScopes), for the finer accesses.
void Devectorizer::setScopes(const DenseMap<Value *, Value *> &scalars) {
    SmallVector<std::pair<Instruction *, unsigned>, 8> finer;
    for (const Access &access : accesses) finer.push_back({cast<Instruction>(scalars.lookup(access.instruction)), access.group});
    wasmc::setGroupScopes(finer, groupStores, "wasmc.lanes");
}

} // namespace

namespace wasmc {

PreservedAnalyses LoopDevectorizePass::run(Function &function, FunctionAnalysisManager &analyses) {
    auto &machine = analyses.getResult<TargetIRAnalysis>(function);
    if (machine.getRegisterBitWidth(TargetTransformInfo::RGK_FixedWidthVector).getFixedValue() <= vectorBytes * 8)
        return PreservedAnalyses::all();
    return rewriteLoops(function, analyses,
                                 [](Loop &loop, LoopInfo &loops) { return Devectorizer(loop, loops).run(); });
}

} // namespace wasmc
