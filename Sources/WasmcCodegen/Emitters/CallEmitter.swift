import CLLVM
import WasmParser
import WasmTypes

/// call and call_indirect.
/// <https://webassembly.github.io/spec/core/exec/instructions.html#xref-syntax-instructions-syntax-instr-control-mathsf-call-x>
///
/// Calls to functions of the same module are direct LLVM calls (inlinable). Imported functions
/// and table entries are called through a `wasmc_funcref` {code, ctx}: the callee gets its own
/// instance's ctx (or its host function) as first argument.
extension FunctionTranslator {
    func emitCall(function callee: Int) {
        let type = env.module.functionType(of: FunctionIndex(callee))
        let args = pop(type.parameters.count)
        let result: LLVMValue
        if env.module.isImportedFunction(FunctionIndex(callee)) {
            let funcRef = b.byteOffset(ctx, env.offsets.funcRef(callee))
            let code = b.invariantLoad(ir.ptr, b.byteOffset(funcRef, RuntimeABI.FuncRef.code))
            let calleeCtx = b.invariantLoad(ir.ptr, b.byteOffset(funcRef, RuntimeABI.FuncRef.ctx))
            result = b.call(env.llvmFunctionType(type), code, [calleeCtx] + args)
        } else {
            result = b.call(env.llvmFunctionType(type), env.functions[callee]!, [ctx] + args)
        }
        pushResults(wasmCall(result), type)
    }

    func emitCallIndirect(typeIndex: Int, table: Int) {
        let type = env.module.types[typeIndex]
        let i = pop()
        let args = pop(type.parameters.count)
        let entry = tableEntry(tableObject(table), i, orTrap: .undefinedElement)
        let funcRef = b.load(ir.ptr, entry)
        trap(if: b.icmp(LLVMIntEQ, funcRef, ir.null()), .uninitializedElement)
        let expected = b.invariantLoad(ir.i32, b.byteOffset(ctx, env.offsets.typeID(typeIndex)))
        let actual = b.load(ir.i32, b.byteOffset(funcRef, RuntimeABI.FuncRef.typeID))
        trap(if: b.icmp(LLVMIntNE, expected, actual), .indirectCallTypeMismatch)
        let code = b.load(ir.ptr, b.byteOffset(funcRef, RuntimeABI.FuncRef.code))
        let calleeCtx = b.load(ir.ptr, b.byteOffset(funcRef, RuntimeABI.FuncRef.ctx))
        pushResults(wasmCall(b.call(env.llvmFunctionType(type), code, [calleeCtx] + args)), type)
    }

    /// A wasm call consumes stack. Neither tail-recursion elimination nor sibling-call lowering
    /// may turn unbounded recursion into a loop: it must exhaust the stack and trap.
    private func wasmCall(_ call: LLVMValue) -> LLVMValue {
        LLVMSetTailCallKind(call, LLVMTailCallKindNoTail)
        return call
    }

    private func pushResults(_ result: LLVMValue, _ type: FunctionType) {
        switch type.results.count {
        case 0: break
        case 1: push(result)
        default:
            for i in 0..<type.results.count { push(b.extractValue(result, i)) }
        }
    }
}
