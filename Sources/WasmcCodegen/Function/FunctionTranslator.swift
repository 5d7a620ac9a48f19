import CLLVM
import WasmParser
import WasmTypes
import WasmcModule

/// An error while generating code for a module that already validated: a bug or a limit of
/// wasmc, never a fault of the input.
public struct CodegenError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var functionIndex: Int?
    public var offset: Int?

    public init(_ message: String, functionIndex: Int? = nil, offset: Int? = nil) {
        self.message = message
        self.functionIndex = functionIndex
        self.offset = offset
    }

    public var description: String {
        var text = "code generation failed: \(message)"
        if let functionIndex { text += " in function \(functionIndex)" }
        if let offset { text += " at offset 0x\(String(offset, radix: 16))" }
        return text
    }
}

/// One entry of the control stack: a block, loop, if or the function body itself.
struct ControlFrame {
    enum Kind { case function, block, loop, ifThen, ifElse, tryTable, legacyTry, legacyCatch }

    var kind: Kind
    var params: [ValueType]
    var results: [ValueType]
    /// Operand stack height below the frame's parameters.
    var height: Int
    /// Where a branch to this frame's label goes: the loop header, or the end block.
    var label: LLVMBasicBlockRef
    /// The block after the frame's `end`.
    var end: LLVMBasicBlockRef
    /// Slots carrying the label's values (a loop's parameters, otherwise the results).
    var labelSlots: [LLVMValue]
    /// Slots carrying the results to the end block (for loops, distinct from `labelSlots`).
    var resultSlots: [LLVMValue]
    /// For an `if` still in its then-arm: the else block and the parameters to give it.
    var elseBlock: LLVMBasicBlockRef?
    var ifParams: [LLVMValue] = []
    /// No instruction after the last unconditional branch is reachable until the frame ends.
    var unreachable = false
    /// Whether some branch targets the end block.
    var endReachedByBranch = false
    /// For a legacy try: where its handler matches the next `catch` clause (nil after
    /// `catch_all`), the slot its landing pads leave the exception in, and (once in a handler)
    /// the slot holding the caught exception, for `rethrow`.
    var legacyCursor: LLVMBasicBlockRef?
    var legacyExceptionSlot: LLVMValue?
    var caughtSlot: LLVMValue?

    var labelTypes: [ValueType] { kind == .loop ? params : results }
}

/// Translates one function body to LLVM IR, one wasm instruction at a time, keeping the wasm
/// operand stack as LLVM values. The body validated before translation starts, so this code
/// trusts types and indices; unreachable code is skipped up to the end of its frame.
///
/// Instruction families live in the `Emitters/` files as extensions of this class.
final class FunctionTranslator: AnyInstructionVisitor {
    typealias VisitorError = CodegenError

    let env: ModuleEnvironment
    let ir: IRModule
    let b: IRBuilder
    /// The function translated, and its LLVM function.
    let wasmFunction: FuncIndex
    let function: LLVMValue
    let type: FunctionType
    let ctx: LLVMValue
    var binaryOffset: Int = 0

    var locals: [(slot: LLVMValue, type: ValueType)] = []
    var stack: [LLVMValue] = []
    var frames: [ControlFrame] = []
    /// Nesting depth of blocks opened inside unreachable code.
    var deadNesting = 0
    /// The try_tables enclosing the current instruction, innermost last (ExceptionEmitter).
    var handlers: [ExceptionHandler] = []
    /// The entry block, which holds all allocas, and the block the body starts in.
    let allocaBlock: LLVMBasicBlockRef
    let allocaBuilder: IRBuilder
    var trapBlocks: [RuntimeABI.Trap: LLVMBasicBlockRef] = [:]
    /// The base of each memory the function accesses, by memory index, loaded once in the entry
    /// block (`memoryBase(_:)`).
    var memoryBases: [Index<MemorySpace>: LLVMValue] = [:]

    /// For error messages: the function's index in the function index space.
    var functionIndex: Int { wasmFunction.rawValue }

    init(env: ModuleEnvironment, function: FuncIndex) {
        self.env = env
        self.ir = env.ir
        self.b = IRBuilder(env.ir)
        self.wasmFunction = function
        self.function = env.function(function)!
        self.type = env.module.functionType(of: function)
        self.ctx = LLVMGetParam(self.function, 0)
        self.allocaBlock = LLVMAppendBasicBlockInContext(env.ir.context, self.function, "entry")
        self.allocaBuilder = IRBuilder(env.ir)
        allocaBuilder.position(at: allocaBlock)
    }

    deinit {
        b.dispose()
        allocaBuilder.dispose()
    }

    // MARK: Driving

    func translate(code: Code) throws(CodegenError) {
        // Parameters and locals live in allocas; mem2reg turns them into SSA values.
        for (i, param) in type.parameters.enumerated() {
            let slot = allocaBuilder.alloca(env.llvmType(param), "p\(i)")
            allocaBuilder.store(LLVMGetParam(function, UInt32(i + 1)), slot)
            locals.append((slot, param))
        }
        for local in code.locals {
            let slot = allocaBuilder.alloca(env.llvmType(local), "l")
            allocaBuilder.store(ir.zero(env.llvmType(local)), slot)
            locals.append((slot, local))
        }
        if env.module.memories.count > 0 {
            // Loaded whether used or not, as before multi-memory, so code for memory 0 alone is
            // the same as it was.
            _ = memoryBase(Index(0))
        }
        let body = b.appendBlock(function, "body")
        let returnBlock = b.appendBlock(function, "return")
        b.position(at: body)
        emitStackCheck()
        countExecution()

        let resultSlots = type.results.map { allocaBuilder.alloca(env.llvmType($0), "ret") }
        frames.append(
            ControlFrame(
                kind: .function, params: [], results: type.results, height: 0, label: returnBlock,
                end: returnBlock, labelSlots: resultSlots, resultSlots: resultSlots))

        // Validated bodies decode alike under 2.0's and 3.0's encodings (a memarg that names a
        // memory fails 2.0's alignment check), so the 3.0 one serves both.
        var decoder = InstructionDecoder(code: code)
        // The code of a module linked into this one keeps its module's indices.
        let indexMap = env.module.defined(wasmFunction).flatMap { env.module.indexMap(of: $0) }
        while true {
            let offset = decoder.offset
            var next: Operator?
            do {
                next = try decoder.nextOperator()
            } catch {
                throw CodegenError(error.message, functionIndex: functionIndex, offset: error.offset ?? offset)
            }
            if let indexMap, let decoded = next { next = indexMap.map(decoded) }
            guard let next else { break }
            binaryOffset = offset
            switch next {
            case .instruction(let instruction): try visit(instruction)
            case .legacy(let instruction): visit(instruction)
            }
        }
        guard frames.isEmpty else {
            throw CodegenError("function body ended with open blocks", functionIndex: functionIndex)
        }
        // The return block: read the results and return them.
        b.position(at: returnBlock)
        if LLVMGetFirstUse(LLVMBasicBlockAsValue(returnBlock)) == nil {
            b.unreachable()
        } else {
            let values = zip(resultSlots, type.results).map { b.load(env.llvmType($1), $0) }
            b.ret(env.packResults(values, b))
        }
        allocaBuilder.br(body)
    }

    // MARK: Operand stack

    func push(_ value: LLVMValue) { stack.append(value) }

    func pop() -> LLVMValue { stack.removeLast() }

    func pop(_ count: Int) -> [LLVMValue] {
        let values = Array(stack.suffix(count))
        stack.removeLast(count)
        return values
    }

    // MARK: Traps

    /// A block that traps with `trap`, one per kind and function.
    func trapBlock(_ trap: RuntimeABI.Trap) -> LLVMBasicBlockRef {
        if let block = trapBlocks[trap] { return block }
        let saved = b.currentBlock
        let block = b.appendBlock(function, "trap.\(trap)")
        b.position(at: block)
        emitTrapCall(trap)
        b.position(at: saved)
        trapBlocks[trap] = block
        return block
    }

    func emitTrapCall(_ trap: RuntimeABI.Trap) {
        let call = env.callRuntime(.trap, [ctx, ir.i32(trap.rawValue)], b)
        LLVMAddCallSiteAttribute(call, LLVMAttributeIndex(bitPattern: -1), ir.enumAttribute("noreturn"))
        LLVMAddCallSiteAttribute(call, LLVMAttributeIndex(bitPattern: -1), ir.enumAttribute("cold"))
        b.unreachable()
    }

    /// Traps with `trap` when `condition` (i1) holds; code continues in a new block otherwise.
    func trap(if condition: LLVMValue, _ trap: RuntimeABI.Trap) {
        let expected = b.callIntrinsic("llvm.expect", [ir.i1], [condition, ir.i1(false)])
        let next = b.appendBlock(function, "ok")
        b.condBr(expected, trapBlock(trap), next)
        b.position(at: next)
    }

    /// In code that counts executions: adds one to this function's counter, on entry and at the
    /// head of every loop, so the count is calls plus loop iterations, a measure of the work
    /// done in the function that costs no clock (Documentation/profiles.md).
    func countExecution() {
        guard let counts = env.executionCounts, let scope = env.executionCountsScope else { return }
        let slot = b.byteOffset(counts, 8 * env.module.defined(wasmFunction)!.rawValue)
        let count = b.load(ir.i64, slot, align: 8)
        let store = b.store(b.add(count, ir.i64(1)), slot, align: 8)
        let kind = ir.metadataKind("alias.scope")
        LLVMSetMetadata(count, kind, scope)
        LLVMSetMetadata(store, kind, scope)
    }

    /// Traps with `call stack exhausted` when the native stack is nearly used up.
    func emitStackCheck() {
        let limit = env.stackLimit(ctx: ctx, b)
        trap(if: b.icmp(LLVMIntULT, env.stackPointer(b), limit), .callStackExhausted)
    }

    // MARK: Dispatch

    func visit(_ instruction: LegacyExceptionInstruction) {
        if frames.last?.unreachable == true {
            switch instruction {
            case .try:
                deadNesting += 1
                return
            case .catch, .catchAll:
                if deadNesting > 0 { return }
            case .delegate:
                if deadNesting > 0 {
                    deadNesting -= 1
                    return
                }
            case .rethrow:
                return
            }
        }
        emitLegacy(instruction)
    }

    func visit(_ instruction: Instruction) throws(CodegenError) {
        if frames.last?.unreachable == true {
            switch instruction {
            case .block, .loop, .if, .tryTable:
                deadNesting += 1
                return
            case .end where deadNesting > 0:
                deadNesting -= 1
                return
            case .else where deadNesting > 0:
                return
            case .end, .else:
                break
            default:
                return
            }
        }
        switch instruction {
        case .unreachable, .nop, .block, .loop, .if, .else, .end, .br, .brIf, .brTable, .return:
            try emitControl(instruction)
        case .call(let function):
            emitCall(function: FuncIndex(function))
        case .callIndirect(let typeIndex, let tableIndex):
            emitCallIndirect(typeIndex: Int(typeIndex), table: Index(tableIndex))
        case .returnCall(let function):
            emitReturnCall(function: FuncIndex(function))
        case .returnCallIndirect(let typeIndex, let tableIndex):
            emitReturnCallIndirect(typeIndex: Int(typeIndex), table: Index(tableIndex))
        case .callRef(let typeIndex):
            emitCallRef(typeIndex: Int(typeIndex))
        case .returnCallRef(let typeIndex):
            emitReturnCallRef(typeIndex: Int(typeIndex))
        case .refAsNonNull:
            trap(if: b.icmp(LLVMIntEQ, stack[stack.count - 1], ir.null()), .nullReference)
        case .brOnNull, .brOnNonNull:
            try emitControl(instruction)
        case .tryTable(let blockType, let tryCatch):
            emitTryTable(blockType, tryCatch.catches)
        case .throw(let tag):
            emitThrow(tag: Index(tag))
        case .throwRef:
            emitThrowRef()
        case .drop:
            keepTrappingLoad(pop())
        case .select, .typedSelect:
            let condition = b.icmp(LLVMIntNE, pop(), ir.i32(0))
            let second = pop()
            let first = pop()
            push(b.select(condition, first, second))
        case .localGet(let index):
            let local = locals[Int(index)]
            push(b.load(env.llvmType(local.type), local.slot))
        case .localSet(let index):
            b.store(pop(), locals[Int(index)].slot)
        case .localTee(let index):
            b.store(stack[stack.count - 1], locals[Int(index)].slot)
        case .globalGet(let index):
            let global = env.module.globals[Int(index)]
            push(b.load(env.llvmType(global.valueType), env.globalAddress(Index(index), ctx: ctx, b)))
        case .globalSet(let index):
            b.store(pop(), env.globalAddress(Index(index), ctx: ctx, b))
        case .load(let op, let memarg):
            try emitLoad(op, memarg)
        case .store(let op, let memarg):
            emitStore(op, memarg)
        case .memorySize, .memoryGrow, .memoryInit, .dataDrop, .memoryCopy, .memoryFill:
            emitBulkMemory(instruction)
        case .i32Const(let value):
            push(ir.i32(value))
        case .i64Const(let value):
            push(ir.i64(value))
        case .f32Const(let value):
            push(ir.f32(bits: value.bitPattern))
        case .f64Const(let value):
            push(ir.f64(bits: value.bitPattern))
        case .refNull:
            push(ir.null())
        case .refIsNull:
            push(b.zext(b.icmp(LLVMIntEQ, pop(), ir.null()), ir.i32))
        case .refFunc(let function):
            push(env.funcRef(FuncIndex(function), ctx: ctx, b))
        case .i32Eqz:
            push(b.zext(b.icmp(LLVMIntEQ, pop(), ir.i32(0)), ir.i32))
        case .i64Eqz:
            push(b.zext(b.icmp(LLVMIntEQ, pop(), ir.i64(0)), ir.i32))
        case .cmp(let op):
            emitCompare(op)
        case .unary(let op):
            emitUnary(op)
        case .binary(let op):
            emitBinary(op)
        case .conversion(let op):
            emitConversion(op)
        case .tableInit, .elemDrop, .tableCopy, .tableFill, .tableGet, .tableSet, .tableGrow, .tableSize:
            emitTable(instruction)
        case .v128Const(let value):
            emitV128Const(value)
        case .i8x16Shuffle(let mask):
            emitShuffle(mask)
        case .simd(let op):
            try emitSIMD(op)
        case .simdLane(let op, let lane):
            emitSIMDLane(op, lane: lane)
        case .simdMemLane(let op, let memarg, let lane):
            emitSIMDMemoryLane(op, memarg, lane: lane)
        default:
            throw CodegenError("\(instruction) is not a WebAssembly 2.0 instruction", functionIndex: functionIndex, offset: binaryOffset)
        }
    }
}
