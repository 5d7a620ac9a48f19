import CLLVM
import WasmParser
import WasmcModule
import WasmTypes

/// call, call_indirect and their tail-call forms, return_call and return_call_indirect.
/// <https://webassembly.github.io/spec/core/exec/instructions.html#xref-syntax-instructions-syntax-instr-control-mathsf-call-x>
///
/// Calls to functions of the same module are direct LLVM calls (inlinable). Imported functions
/// and table entries are called through a `wasmc_funcref` {code, ctx}: the callee gets its own
/// instance's ctx (or its host function) as first argument. A return_call is a `musttail` call in
/// the tail calling convention where the target has it (`WasmCallingConvention`): the callee
/// replaces the caller's frame, and a chain of tail calls runs in constant stack whatever the
/// signatures.
extension FunctionTranslator {
    func emitCall(function callee: FuncIndex) {
        let (type, code, calleeCtx) = directCallee(callee)
        let args = pop(type.parameters.count)
        let call = wasmCall(type, code, [calleeCtx] + args)
        if env.inlinesAcrossModules(from: wasmFunction, to: callee) {
            LLVMAddCallSiteAttribute(call, LLVMAttributeIndex(bitPattern: -1), ir.enumAttribute("alwaysinline"))
        }
        pushResults(call, type)
    }

    func emitCallIndirect(typeIndex: Int, table: Index<TableSpace>) {
        let type = env.module.types[typeIndex]
        let i = pop()
        let args = pop(type.parameters.count)
        let (code, calleeCtx) = indirectCallee(typeIndex: typeIndex, table: table, index: i)
        pushResults(wasmCall(type, code, [calleeCtx] + args), type)
    }

    func emitReturnCall(function callee: FuncIndex) {
        let (type, code, calleeCtx) = directCallee(callee)
        let args = pop(type.parameters.count)
        tailCall(type, code, [calleeCtx] + args)
    }

    func emitReturnCallIndirect(typeIndex: Int, table: Index<TableSpace>) {
        let type = env.module.types[typeIndex]
        let i = pop()
        let args = pop(type.parameters.count)
        let (code, calleeCtx) = indirectCallee(typeIndex: typeIndex, table: table, index: i)
        tailCall(type, code, [calleeCtx] + args)
    }

    func emitCallRef(typeIndex: Int) {
        let type = env.module.types[typeIndex]
        let (code, calleeCtx) = referencedCallee(pop())
        let args = pop(type.parameters.count)
        pushResults(wasmCall(type, code, [calleeCtx] + args), type)
    }

    func emitReturnCallRef(typeIndex: Int) {
        let type = env.module.types[typeIndex]
        let (code, calleeCtx) = referencedCallee(pop())
        let args = pop(type.parameters.count)
        tailCall(type, code, [calleeCtx] + args)
    }

    /// The code and ctx of a function reference (validation typed it), which must not be null.
    private func referencedCallee(_ funcRef: LLVMValue) -> (LLVMValue, LLVMValue) {
        trap(if: b.icmp(LLVMIntEQ, funcRef, ir.null()), .nullFunctionReference)
        return env.funcRefTarget(funcRef, invariant: false, b)
    }

    /// The type, code and ctx of function `callee` of the function index space.
    private func directCallee(_ callee: FuncIndex) -> (FunctionType, LLVMValue, LLVMValue) {
        let type = env.module.functionType(of: callee)
        if let function = env.function(callee) { return (type, function, ctx) }
        let (code, calleeCtx) = env.funcRefTarget(env.funcRef(callee, ctx: ctx, b), invariant: true, b)
        return (type, code, calleeCtx)
    }

    /// The code and ctx of entry `index` of `table`, checked: in bounds, not null, of type
    /// `typeIndex` (by canonical signature id).
    private func indirectCallee(typeIndex: Int, table: Index<TableSpace>, index: LLVMValue) -> (LLVMValue, LLVMValue) {
        let entry = tableEntry(tableObject(table), index, orTrap: .undefinedElement)
        let funcRef = b.load(ir.ptr, entry)
        trap(if: b.icmp(LLVMIntEQ, funcRef, ir.null()), .uninitializedElement)
        let expected = env.typeID(typeIndex, ctx: ctx, b)
        trap(if: b.icmp(LLVMIntNE, expected, env.funcRefTypeID(funcRef, b)), .indirectCallTypeMismatch)
        return env.funcRefTarget(funcRef, invariant: false, b)
    }

    /// A guaranteed tail call, whose results are this function's (validation checked that the
    /// types are equal), and the end of the reachable code.
    private func tailCall(_ type: FunctionType, _ code: LLVMValue, _ args: [LLVMValue]) {
        let call = env.callWasm(type, code, args, b)
        LLVMSetTailCallKind(call, env.wasmCalls.guaranteedTailCalls ? LLVMTailCallKindMustTail : LLVMTailCallKindTail)
        b.ret(type.results.isEmpty ? nil : call)
        markUnreachable()
    }

    /// A wasm call consumes stack. Neither tail-recursion elimination nor sibling-call lowering
    /// may turn unbounded recursion into a loop: it must exhaust the stack and trap. Inside a
    /// try_table the call is an `invoke` that unwinds to the handler (never a tail call).
    private func wasmCall(_ type: FunctionType, _ code: LLVMValue, _ args: [LLVMValue]) -> LLVMValue {
        if let unwind = unwindTarget() { return env.invokeWasm(type, code, args, unwind: unwind, b) }
        let call = env.callWasm(type, code, args, b)
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
