// CountedLoops.cpp: see CountedLoops.h.
#include "CountedLoops.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PatternMatch.h"
#include "llvm/IR/Instructions.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

using namespace llvm;

namespace wasmc {

namespace {
constexpr unsigned maxLinearDepth = 12;

std::optional<Linear> linearForm(Value *value, const Loop &loop, function_ref<bool(Value *)> isInduction,
                                 unsigned depth) {
    auto *type = dyn_cast<IntegerType>(value->getType());
    if (!type || depth > maxLinearDepth) return std::nullopt;
    unsigned width = type->getBitWidth();
    Linear result{APInt::getZero(width), {}};
    if (auto *constant = dyn_cast<ConstantInt>(value)) {
        result.constant = constant->getValue();
        return result;
    }
    auto *instruction = dyn_cast<Instruction>(value);
    if (!instruction || !loop.contains(instruction) || isInduction(value)) {
        if (isa<Constant>(value) && !isa<GlobalValue>(value)) return std::nullopt;
        result.terms.insert({value, APInt(width, 1)});
        return result;
    }
    if (auto *truncation = dyn_cast<TruncInst>(instruction)) {
        // Modulo 2^width, the truncation of a linear form is the form with its constant and
        // coefficients truncated.
        auto wide = linearForm(truncation->getOperand(0), loop, isInduction, depth + 1);
        if (!wide) return std::nullopt;
        result.constant = wide->constant.trunc(width);
        for (auto &[atom, coefficient] : wide->terms) result.terms.insert({atom, coefficient.trunc(width)});
        return result;
    }
    auto *binary = dyn_cast<BinaryOperator>(instruction);
    if (!binary) return std::nullopt;
    Value *left = binary->getOperand(0), *right = binary->getOperand(1);
    auto *rightConstant = dyn_cast<ConstantInt>(right);
    switch (binary->getOpcode()) {
    case Instruction::Or:
        if (!cast<PossiblyDisjointInst>(binary)->isDisjoint()) return std::nullopt;
        [[fallthrough]];
    case Instruction::Add:
    case Instruction::Sub: {
        auto a = linearForm(left, loop, isInduction, depth + 1), b = linearForm(right, loop, isInduction, depth + 1);
        if (!a || !b) return std::nullopt;
        result.add(*a, APInt(width, 1));
        result.add(*b, binary->getOpcode() == Instruction::Sub ? APInt::getAllOnes(width) : APInt(width, 1));
        return result;
    }
    case Instruction::Mul:
    case Instruction::Shl: {
        auto *leftConstant = dyn_cast<ConstantInt>(left);
        if (binary->getOpcode() == Instruction::Mul && !rightConstant && leftConstant)
            std::swap(left, right), rightConstant = leftConstant;
        if (!rightConstant) return std::nullopt;
        APInt factor = rightConstant->getValue();
        if (binary->getOpcode() == Instruction::Shl) {
            if (factor.uge(width)) return std::nullopt;
            factor = APInt::getOneBitSet(width, factor.getZExtValue());
        }
        auto a = linearForm(left, loop, isInduction, depth + 1);
        if (!a) return std::nullopt;
        result.add(*a, factor);
        return result;
    }
    default:
        return std::nullopt;
    }
}
} // namespace

void Linear::add(const Linear &other, const APInt &factor) {
    constant += other.constant * factor;
    for (auto &[atom, coefficient] : other.terms) {
        auto [it, inserted] = terms.insert({atom, coefficient * factor});
        if (!inserted) it->second += coefficient * factor;
    }
}

bool Linear::sameTerms(const Linear &other) const {
    for (auto &[atom, coefficient] : terms)
        if (!coefficient.isZero() && other.coefficient(atom) != coefficient) return false;
    for (auto &[atom, coefficient] : other.terms)
        if (!coefficient.isZero() && this->coefficient(atom) != coefficient) return false;
    return true;
}

bool Linear::operator==(const Linear &other) const { return constant == other.constant && sameTerms(other); }

APInt Linear::coefficient(Value *atom) const {
    auto it = terms.find(atom);
    return it == terms.end() ? APInt::getZero(constant.getBitWidth()) : it->second;
}

std::optional<Linear> linearForm(Value *value, const Loop &loop, function_ref<bool(Value *)> isInduction) {
    return linearForm(value, loop, isInduction, 0);
}

std::optional<Induction> matchInduction(PHINode &phi, const Loop &loop) {
    BasicBlock *latch = loop.getLoopLatch(), *preheader = loop.getLoopPreheader();
    if (!latch || !preheader || phi.getParent() != loop.getHeader() || phi.getNumIncomingValues() != 2 ||
        phi.getBasicBlockIndex(preheader) < 0 || !phi.getType()->isIntegerTy())
        return std::nullopt;
    auto *binary = dyn_cast<BinaryOperator>(phi.getIncomingValueForBlock(latch));
    if (!binary || binary->getOpcode() != Instruction::Add || !loop.contains(binary) ||
        any_of(loop.getSubLoops(), [&](const Loop *inner) { return inner->contains(binary); }))
        return std::nullopt;
    Value *other = binary->getOperand(0) == &phi   ? binary->getOperand(1)
                   : binary->getOperand(1) == &phi ? binary->getOperand(0)
                                                   : nullptr;
    auto *step = dyn_cast_or_null<ConstantInt>(other);
    if (!step || step->isZero()) return std::nullopt;
    return Induction{&phi, binary, step->getValue()};
}

std::optional<ExitTest> findExitTest(const Loop &loop, ArrayRef<Induction> inductions) {
    BasicBlock *body = loop.getLoopLatch();
    if (!body || loop.getExitingBlock() != body) return std::nullopt;
    auto *branch = dyn_cast<BranchInst>(body->getTerminator());
    if (!branch || !branch->isConditional()) return std::nullopt;
    auto *compare = dyn_cast<ICmpInst>(branch->getCondition());
    if (!compare || !compare->isEquality() || compare->getParent() != body || !compare->hasOneUse())
        return std::nullopt;
    // Leaving when the two are equal: a loop that goes on while they are equal is not a count.
    unsigned exitSide = compare->getPredicate() == ICmpInst::ICMP_EQ ? 0 : 1;
    if (loop.contains(branch->getSuccessor(exitSide))) return std::nullopt;
    const DataLayout &layout = body->getModule()->getDataLayout();
    for (unsigned side = 0; side < 2; ++side) {
        Value *counted = compare->getOperand(side), *end = compare->getOperand(1 - side);
        if (!loop.isLoopInvariant(end)) continue;
        for (const Induction &candidate : inductions) {
            unsigned width = candidate.step.getBitWidth();
            if (counted == candidate.increment) return ExitTest{branch, compare, &candidate, end, nullptr, width};
            if (auto *truncation = dyn_cast<TruncInst>(counted); truncation && truncation->getOperand(0) == candidate.increment &&
                                                                  truncation->getParent() == body && truncation->hasOneUse())
                return ExitTest{branch, compare, &candidate, end, truncation, truncation->getType()->getIntegerBitWidth()};
            // `increment & mask`: mask is bits [low, bits), the increment's bits below `low`
            // never set (the start's are clear and the step's are), `end` within the mask.
            auto *mask = dyn_cast<BinaryOperator>(counted);
            const APInt *maskBits = nullptr;
            if (!mask || mask->getOpcode() != Instruction::And || mask->getParent() != body || !mask->hasOneUse() ||
                mask->getOperand(0) != candidate.increment || !match(mask->getOperand(1), PatternMatch::m_APInt(maskBits)))
                continue;
            unsigned low = maskBits->countr_zero(), bits = maskBits->getActiveBits();
            auto *endConstant = dyn_cast<ConstantInt>(end);
            if (bits == 0 || *maskBits != APInt::getBitsSet(width, low, bits) || low > candidate.step.countr_zero() ||
                !endConstant || (endConstant->getValue() & ~*maskBits) != 0)
                continue;
            Value *start = candidate.phi->getIncomingValueForBlock(loop.getLoopPreheader());
            if (computeKnownBits(start, layout).countMinTrailingZeros() < low) continue;
            return ExitTest{branch, compare, &candidate, end, mask, bits};
        }
    }
    return std::nullopt;
}

bool finerStepKeepsExit(const ExitTest &exit, unsigned factor) {
    APInt finer = exit.induction->rolledStep(factor).trunc(exit.bits);
    return !finer.isZero() && finer.countr_zero() + Log2_32(factor) < exit.bits;
}

Value *asCompared(IRBuilder<> &builder, const ExitTest &exit, Value *value) {
    return exit.bits < value->getType()->getIntegerBitWidth() ? builder.CreateTrunc(value, builder.getIntNTy(exit.bits))
                                                              : value;
}

Value *exitIsReached(IRBuilder<> &builder, const ExitTest &exit, BasicBlock *preheader, const Twine &name) {
    return exitIsReached(builder, exit, exit.induction->phi->getIncomingValueForBlock(preheader), exit.end, name);
}

Value *exitIsReached(IRBuilder<> &builder, const ExitTest &exit, Value *first, Value *last, const Twine &name) {
    Value *start = asCompared(builder, exit, first);
    Value *end = asCompared(builder, exit, last);
    APInt mask = APInt::getLowBitsSet(exit.bits, exit.induction->step.countr_zero());
    return builder.CreateICmpEQ(builder.CreateAnd(builder.CreateSub(end, start), mask),
                                ConstantInt::get(start->getType(), 0), name);
}

Value *tripCount(IRBuilder<> &builder, const ExitTest &exit, BasicBlock *preheader, const Twine &name) {
    return tripCount(builder, exit, exit.induction->phi->getIncomingValueForBlock(preheader), exit.end, name);
}

Value *tripCount(IRBuilder<> &builder, const ExitTest &exit, Value *first, Value *last, const Twine &name) {
    const Induction &counter = *exit.induction;
    Value *start = asCompared(builder, exit, first);
    Value *end = asCompared(builder, exit, last);
    unsigned width = exit.bits;
    // |step| (a power of two) divides the distance, which is 0 for a loop that goes all the way
    // round.
    Value *distance = counter.step.trunc(width).isNegative() ? builder.CreateSub(start, end) : builder.CreateSub(end, start);
    Value *wide = builder.CreateZExt(distance, builder.getInt64Ty());
    unsigned shift = counter.step.trunc(width).abs().logBase2();
    uint64_t allRound = width >= 64 ? ~uint64_t(0) >> shift : (uint64_t(1) << width) >> shift;
    return builder.CreateSelect(builder.CreateICmpEQ(wide, builder.getInt64(0)), builder.getInt64(allRound),
                                builder.CreateLShr(wide, shift), name);
}

namespace {
// New increments phi + `step(induction)` on the back edge, in the exit test and after the loop.
void replaceSteps(const Loop &loop, MutableArrayRef<Induction> inductions, const ExitTest &exit,
                  function_ref<APInt(const Induction &)> step, const Twine &suffix) {
    Instruction *exitIncrement = nullptr;
    for (Induction &induction : inductions) {
        auto *increment = BinaryOperator::CreateAdd(induction.phi, ConstantInt::get(induction.phi->getType(), step(induction)),
                                                    induction.phi->getName() + suffix, exit.compare->getIterator());
        induction.increment->replaceUsesWithIf(
            increment, [&](Use &use) { return !loop.contains(cast<Instruction>(use.getUser())); });
        induction.phi->setIncomingValueForBlock(loop.getLoopLatch(), increment);
        if (&induction == exit.induction) exitIncrement = increment;
    }
    // The test looks at the same low bits, now all of them: a finer increment has the low ones
    // set that the mask cleared.
    Value *counted = exitIncrement;
    if (isa_and_nonnull<TruncInst>(exit.narrowing))
        counted = new TruncInst(exitIncrement, exit.narrowing->getType(), "", exit.compare->getIterator());
    else if (exit.narrowing)
        counted = BinaryOperator::CreateAnd(exitIncrement,
                                            ConstantInt::get(exitIncrement->getType(),
                                                             APInt::getLowBitsSet(exitIncrement->getType()->getIntegerBitWidth(), exit.bits)),
                                            "", exit.compare->getIterator());
    auto *compare = cast<ICmpInst>(exit.compare->clone());
    compare->insertBefore(exit.branch);
    compare->replaceUsesOfWith(exit.narrowing ? static_cast<Value *>(exit.narrowing) : exit.induction->increment, counted);
    exit.branch->setCondition(compare);
}
} // namespace

void stepFiner(const Loop &loop, MutableArrayRef<Induction> inductions, const ExitTest &exit, unsigned factor,
               const Twine &suffix) {
    replaceSteps(loop, inductions, exit, [&](const Induction &induction) { return induction.rolledStep(factor); }, suffix);
}

void stepCoarser(const Loop &loop, MutableArrayRef<Induction> inductions, const ExitTest &exit, unsigned factor,
                 const Twine &suffix) {
    replaceSteps(loop, inductions, exit, [&](const Induction &induction) { return induction.step * factor; }, suffix);
}

bool usedOutsideBlock(const Instruction &instruction, const BasicBlock *block) {
    return any_of(instruction.users(), [&](const User *user) { return cast<Instruction>(user)->getParent() != block; });
}

void recomputeExactly(Instruction &instruction) {
    instruction.dropPoisonGeneratingFlags();
    if (instruction.getOpcode() != Instruction::Or) return;
    auto *sum = BinaryOperator::CreateAdd(instruction.getOperand(0), instruction.getOperand(1), "",
                                          instruction.getIterator());
    sum->takeName(&instruction);
    instruction.replaceAllUsesWith(sum);
    instruction.eraseFromParent();
}

void keepOriginalLoop(Loop &loop, LoopInfo &loops, Value *condition, StringRef newName, StringRef originalName) {
    BasicBlock *header = loop.getHeader();
    BasicBlock *preheader = loop.getLoopPreheader();
    BasicBlock *exit = loop.getExitBlock();
    Function *function = header->getParent();
    ValueToValueMapTy map;
    SmallVector<BasicBlock *, 4> copies;
    for (BasicBlock *block : loop.blocks()) {
        BasicBlock *copy = CloneBasicBlock(block, map, "." + originalName, function);
        map[block] = copy;
        copies.push_back(copy);
    }
    remapInstructionsInBlocks(copies, map);
    for (BasicBlock *copy : copies) copy->getTerminator()->setMetadata(LLVMContext::MD_loop, nullptr);
    for (PHINode &phi : exit->phis())
        for (BasicBlock *block : SmallVector<BasicBlock *, 4>(phi.blocks())) {
            if (!loop.contains(block)) continue;
            Value *value = phi.getIncomingValueForBlock(block);
            if (Value *copied = map.lookup(value)) value = copied;
            phi.addIncoming(value, cast<BasicBlock>(map[block]));
        }

    BasicBlock *newEntry =
        SplitBlock(preheader, preheader->getTerminator(), (DominatorTree *)nullptr, &loops, nullptr, newName + ".ph");
    auto *original = cast<BasicBlock>(map[header]);
    BasicBlock *originalEntry = BasicBlock::Create(function->getContext(), originalName + ".ph", function, original);
    BranchInst::Create(original, originalEntry);
    for (PHINode &phi : original->phis()) phi.replaceIncomingBlockWith(preheader, originalEntry);
    preheader->getTerminator()->eraseFromParent();
    BranchInst::Create(newEntry, originalEntry, condition, preheader);

    // The copy's loops mirror the originals, headers first.
    DenseMap<const Loop *, Loop *> mirrored;
    for (Loop *inner : loop.getLoopsInPreorder()) {
        Loop *copy = loops.AllocateLoop();
        mirrored[inner] = copy;
        if (inner != &loop)
            mirrored[inner->getParentLoop()]->addChildLoop(copy);
        else if (Loop *parent = loop.getParentLoop())
            parent->addChildLoop(copy);
        else
            loops.addTopLevelLoop(copy);
    }
    if (Loop *parent = loop.getParentLoop()) parent->addBasicBlockToLoop(originalEntry, loops);
    for (BasicBlock *block : loop.blocks())
        mirrored[loops.getLoopFor(block)]->addBasicBlockToLoop(cast<BasicBlock>(map[block]), loops);
    for (auto &[inner, copy] : mirrored) copy->moveToHeader(cast<BasicBlock>(map[inner->getHeader()]));
}

std::optional<WasmAddress> wasmAddress(Value *pointer, const DataLayout &layout) {
    int64_t offset = 0;
    auto *address = dyn_cast<GetElementPtrInst>(pointer);
    while (address) {
        APInt constant(layout.getIndexTypeSizeInBits(address->getType()), 0);
        if (!address->accumulateConstantOffset(layout, constant)) break;
        offset += constant.getSExtValue();
        address = dyn_cast<GetElementPtrInst>(address->getPointerOperand());
    }
    if (!address || address->getNumIndices() != 1 || !address->getSourceElementType()->isIntegerTy(8)) return std::nullopt;
    auto *extension = dyn_cast<ZExtInst>(address->getOperand(1));
    if (!extension || !extension->getSrcTy()->isIntegerTy(32)) return std::nullopt;
    APInt baseOffset(layout.getIndexTypeSizeInBits(address->getType()), 0);
    Value *base = address->getPointerOperand()->stripAndAccumulateConstantOffsets(layout, baseOffset, true);
    return WasmAddress{address, base, extension->getOperand(0), offset + baseOffset.getSExtValue()};
}

Value *startValue(IRBuilder<> &builder, const Linear &form, function_ref<Value *(PHINode *)> start) {
    Value *value = builder.getInt(form.constant);
    for (auto &[atom, coefficient] : form.terms) {
        if (coefficient.isZero()) continue;
        Value *first = atom;
        if (auto *phi = dyn_cast<PHINode>(atom))
            if (Value *entry = start(phi)) first = entry;
        first = builder.CreateTrunc(first, value->getType()); // atoms seen through a truncation are wider
        value = builder.CreateAdd(value, builder.CreateMul(first, builder.getInt(coefficient)));
    }
    return value;
}

unsigned groupComparisons(ArrayRef<bool> groupStores) {
    unsigned comparisons = 0;
    for (unsigned g = 0; g < groupStores.size(); ++g)
        for (unsigned h = g + 1; h < groupStores.size(); ++h) comparisons += groupStores[g] || groupStores[h];
    return comparisons;
}

Value *groupsApart(IRBuilder<> &builder, ArrayRef<Value *> low, ArrayRef<Value *> high, ArrayRef<bool> groupStores,
                   CmpInst::Predicate lessOrEqual) {
    Value *apart = builder.getTrue();
    for (unsigned g = 0; g < groupStores.size(); ++g)
        for (unsigned h = g + 1; h < groupStores.size(); ++h) {
            if (!groupStores[g] && !groupStores[h]) continue;
            apart = builder.CreateAnd(apart, builder.CreateOr(builder.CreateICmp(lessOrEqual, high[g], low[h]),
                                                              builder.CreateICmp(lessOrEqual, high[h], low[g])));
        }
    return apart;
}

void setGroupScopes(ArrayRef<std::pair<Instruction *, unsigned>> accesses, ArrayRef<bool> groupStores, StringRef domainName) {
    if (accesses.empty()) return;
    LLVMContext &context = accesses.front().first->getContext();
    MDBuilder builder(context);
    MDNode *domain = builder.createAnonymousAliasScopeDomain(domainName);
    SmallVector<MDNode *, 4> scopes(groupStores.size(), nullptr);
    for (unsigned group = 0; group < groupStores.size(); ++group)
        if (groupStores[group]) scopes[group] = builder.createAnonymousAliasScope(domain);
    for (auto [instruction, group] : accesses) {
        SmallVector<Metadata *, 4> others;
        for (unsigned other = 0; other < scopes.size(); ++other)
            if (scopes[other] && other != group) others.push_back(scopes[other]);
        if (scopes[group])
            instruction->setMetadata(LLVMContext::MD_alias_scope,
                                     MDNode::concatenate(instruction->getMetadata(LLVMContext::MD_alias_scope),
                                                         MDNode::get(context, {scopes[group]})));
        if (!others.empty())
            instruction->setMetadata(LLVMContext::MD_noalias,
                                     MDNode::concatenate(instruction->getMetadata(LLVMContext::MD_noalias),
                                                         MDNode::get(context, others)));
    }
}

PreservedAnalyses rewriteLoops(Function &function, FunctionAnalysisManager &analyses,
                               function_ref<bool(Loop &, LoopInfo &)> rewrite) {
    auto &loops = analyses.getResult<LoopAnalysis>(function);
    auto &evolution = analyses.getResult<ScalarEvolutionAnalysis>(function);
    bool changed = false;
    for (Loop *loop : loops.getLoopsInPreorder()) {
        if (rewrite(*loop, loops)) {
            evolution.forgetLoop(loop);
            changed = true;
        }
    }
    // LoopInfo is kept up to date while loops are rewritten, the dominator tree is not.
    return changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

} // namespace wasmc
