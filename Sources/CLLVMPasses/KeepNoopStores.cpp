// KeepNoopStores.cpp: keeps `store p, (load p)` so that it traps when p is out of bounds.
//
// In guard-page mode an out-of-bounds access traps only if the access is executed. LLVM deletes
// a store of the value just loaded from the same place (a no-op for LLVM, where such an access
// is undefined behaviour if invalid) and then the load, whose value is now unused, so
// `(i32.store (local.get $p) (i32.load (local.get $p)))` with $p out of bounds would return
// instead of trapping, and a loop doing only that past the end of memory would never end. This
// pass runs first in the pipeline, right after mem2reg (EarlyCSE would already delete the store),
// and marks such stores volatile: LLVM keeps a volatile store, and with it the load. The two
// addresses are separate computations of the same expression there (wasmc emits each access's
// address anew), so they are compared as expressions: the same operations on the same values,
// `x + 0` being x.
// Only the literal pattern is covered: a value made equal to the loaded one later (x + 0 folded
// away, say) is not, as with dropped loads (MemoryEmitter.keepTrappingLoad).
#include "Passes.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Instructions.h"

using namespace llvm;

namespace {

Value *skipAddZero(Value *value) {
    auto *add = dyn_cast<BinaryOperator>(value);
    auto *zero = add && add->getOpcode() == Instruction::Add ? dyn_cast<ConstantInt>(add->getOperand(1)) : nullptr;
    return zero && zero->isZero() ? add->getOperand(0) : value;
}

// Whether `a` and `b` compute the same value as the same side-effect-free expression.
bool sameExpression(Value *a, Value *b, unsigned depth = 0) {
    a = skipAddZero(a), b = skipAddZero(b);
    if (a == b) return true;
    auto *x = dyn_cast<Instruction>(a), *y = dyn_cast<Instruction>(b);
    if (!x || !y || depth == 8 || !x->isSameOperationAs(y) || x->mayReadOrWriteMemory() || x->mayHaveSideEffects() ||
        isa<PHINode>(x))
        return false;
    for (unsigned index = 0; index < x->getNumOperands(); ++index)
        if (!sameExpression(x->getOperand(index), y->getOperand(index), depth + 1)) return false;
    return true;
}

} // namespace

namespace wasmc {

PreservedAnalyses KeepNoopStoresPass::run(Function &function, FunctionAnalysisManager &) {
    bool changed = false;
    for (BasicBlock &block : function)
        for (Instruction &instruction : block) {
            auto *store = dyn_cast<StoreInst>(&instruction);
            if (!store || store->isVolatile()) continue;
            auto *load = dyn_cast<LoadInst>(store->getValueOperand());
            if (!load || !sameExpression(load->getPointerOperand(), store->getPointerOperand())) continue;
            store->setVolatile(true);
            changed = true;
        }
    if (!changed) return PreservedAnalyses::all();
    PreservedAnalyses preserved;
    preserved.preserveSet<CFGAnalyses>();
    return preserved;
}

} // namespace wasmc
