import CLLVM
import WasmParser
import WasmTypes
import WasmcModule

/// Builds LLVM IR for a validated wasm module: one LLVM function per defined function, the init
/// function, per-type trampolines and host thunks, the metadata blob and the descriptor
/// (Runtime/include/wasmc_abi.h describes what the runtime expects of each). A small module is
/// generated whole (`generate()`); a large one in parts (`CodeScope`), each in an LLVM context
/// of its own, so that no more than the parts in flight are ever held as IR: the instance part
/// (`generateInstance()`) and parts of functions (`generateFunctions(_:)`), linked together.
public struct ModuleCompiler: Sendable {
    public var module: ModuleInfo
    public var record: CompileRecord
    private let symbols: FunctionSymbols

    /// `symbols`: the functions' symbols, if not the module's own (`FunctionSymbols`): those
    /// its code was compiled with before its name section arrived.
    public init(module: ModuleInfo, record: CompileRecord, symbols: FunctionSymbols? = nil) {
        self.module = module
        self.record = record
        self.symbols = symbols ?? FunctionSymbols(module: module)
    }

    /// Generates the whole module's IR. The result has not been optimized.
    public func generate() throws(CodegenError) -> IRModule {
        let (ir, env) = makeModule(scope: .whole)
        let defined = module.definedIndices(FunctionSpace.self)
        try translate(defined, env)
        emitInstance(env)
        return ir
    }

    /// The instance part of a module generated in parts: what instantiation needs, and the
    /// definitions of what the parts share. Not optimized.
    public func generateInstance() -> IRModule {
        let (ir, env) = makeModule(scope: .instance)
        if module.hasTags { _ = env.personality }
        emitInstance(env)
        return ir
    }

    /// A part of a module generated in parts: the definitions of `functions`, which calls the
    /// others through declarations. Not optimized. With `copySmallCallees`, the small functions
    /// of other parts that these call come as well, as `available_externally` copies: the
    /// optimizer may inline them (-O3) or learn from them what they read and write
    /// (function-attrs), and emits none of them.
    public func generateFunctions(_ functions: [DefinedFuncIndex], copySmallCallees: Bool = false) throws(CodegenError) -> IRModule {
        let (ir, env) = makeModule(scope: .functions)
        try translate(functions, env)
        if copySmallCallees {
            let callees = env.declaredFunctions.filter { callee in
                module.code(module.defined(callee)!).expression.count <= Self.maximumCopiedCallee
                    || functions.contains { env.inlinesAcrossModules(from: module.index(of: $0), to: callee) }
            }
            for callee in callees {
                try FunctionTranslator(env: env, function: callee).translate(code: module.code(module.defined(callee)!))
                LLVMSetLinkage(env.function(callee)!, LLVMAvailableExternallyLinkage)
            }
            separateExecutionCounts(callees.map { env.function($0)! }, env)
        }
        return ir
    }

    /// The largest body (bytes of code) `generateFunctions` copies into the parts that call it.
    static let maximumCopiedCallee = 48
    /// The largest body (bytes of code) a call from another linked module inlines
    /// (`ModuleEnvironment.inlinesAcrossModules`): a per-element function of a processing block,
    /// not a whole stage.
    static let maximumInlinedAcrossModules = 512

    private func makeModule(scope: CodeScope) -> (IRModule, ModuleEnvironment) {
        let ir = IRModule(name: "wasm")
        let env = ModuleEnvironment(
            module: module, ir: ir, explicitBoundsChecks: record.explicitBoundsChecks,
            vectorISA: VectorISA(triple: record.targetTriple, features: record.cpuFeatures),
            roundingQuietsNaN: roundingQuietsNaN(triple: record.targetTriple),
            wasmCalls: WasmCallingConvention(triple: record.targetTriple),
            countsExecutions: record.countsExecutions, scope: scope, symbols: symbols)
        return (ir, env)
    }

    /// Defines `functions` first (so that calls among them are direct), then translates them.
    private func translate(_ functions: [DefinedFuncIndex], _ env: ModuleEnvironment) throws(CodegenError) {
        let definitions = functions.map { env.defineFunction(module.index(of: $0)) }
        for defined in functions {
            let translator = FunctionTranslator(env: env, function: module.index(of: defined))
            try translator.translate(code: module.code(defined))
        }
        separateExecutionCounts(definitions, env)
    }

    /// The init function, trampolines, host thunks and the descriptor.
    private func emitInstance(_ env: ModuleEnvironment) {
        let initFunction = emitInit(env)
        let trampolines = module.types.indices.map { emitTrampoline(env, typeIndex: $0) }
        let hostThunks = module.types.indices.map { emitHostThunk(env, typeIndex: $0) }
        emitDescriptor(env, initFunction: initFunction, trampolines: trampolines, hostThunks: hostThunks)
    }

    /// Tells LLVM that no load or store of the functions touches the execution counters (true:
    /// the counters are a global of their own, outside linear memory and the instance), so the
    /// counters do not hold back the optimization of the code they count.
    private func separateExecutionCounts(_ functions: [LLVMValue], _ env: ModuleEnvironment) {
        guard let scope = env.executionCountsScope else { return }
        let scopeKind = env.ir.metadataKind("alias.scope")
        let noaliasKind = env.ir.metadataKind("noalias")
        for function in functions {
            var block = LLVMGetFirstBasicBlock(function)
            while let current = block {
                var instruction = LLVMGetFirstInstruction(current)
                while let this = instruction {
                    let opcode = LLVMGetInstructionOpcode(this)
                    if (opcode == LLVMLoad || opcode == LLVMStore) && LLVMGetMetadata(this, scopeKind) == nil {
                        LLVMSetMetadata(this, noaliasKind, scope)
                    }
                    instruction = LLVMGetNextInstruction(this)
                }
                block = LLVMGetNextBasicBlock(current)
            }
        }
    }

    // MARK: Instantiation

    /// `void init(ctx)`: global initializers, table initializers, element segment contents, then
    /// the active element and data segments in order, as instantiation requires.
    /// <https://webassembly.github.io/spec/core/exec/modules.html#instantiation>
    private func emitInit(_ env: ModuleEnvironment) -> LLVMValue {
        let ir = env.ir
        let function = ir.addFunction("wasmc.init", ir.function(ir.void, [ir.ptr]))
        // A module linked from several runs the linked modules' start functions from here, and
        // their exceptions unwind through it to the runtime, as from the start function.
        let steps = module.initialization.isEmpty
            ? [ModuleInfo.InitializationStep(
                globals: 0..<module.globals.count - module.importedGlobalCount,
                tables: 0..<module.tables.count - module.importedTableCount,
                elements: 0..<module.elements.count, data: 0..<module.data.count, start: nil)]
            : module.initialization
        if steps.contains(where: { $0.start != nil }) {
            env.setUnwindAttributes(function)
        } else {
            ir.addFunctionAttribute(function, "nounwind")
        }
        let b = IRBuilder(ir)
        defer { b.dispose() }
        b.position(at: b.appendBlock(function, "entry"))
        let ctx = LLVMGetParam(function, 0)!
        for step in steps {
            emitInitStep(step, function: function, env, ctx: ctx, b)
        }
        b.ret(nil)
        return function
    }

    /// One module's part of `init`: its globals, tables and segments, then its start function.
    private func emitInitStep(_ step: ModuleInfo.InitializationStep, function: LLVMValue, _ env: ModuleEnvironment, ctx: LLVMValue, _ b: IRBuilder) {
        let ir = env.ir
        for defined in module.definedIndices(GlobalSpace.self)[step.globals] {
            let index = module.index(of: defined)
            let value = constant(module.initializer(defined), type: module.globals[index.rawValue].valueType, env: env, ctx: ctx, b)
            b.store(value, env.globalAddress(index, ctx: ctx, b))
        }
        for defined in module.definedIndices(TableSpace.self)[step.tables] {
            guard let initializer = module.tableInitializers[defined.rawValue] else { continue }
            let index = module.index(of: defined)
            let value = constant(initializer, type: .ref(module.tables[index.rawValue].elementType), env: env, ctx: ctx, b)
            let size = env.tableSize(env.tableObject(index, ctx: ctx, b), b)
            env.callRuntime(.tableFill, [ctx, ir.i32(index.rawValue), ir.i32(0), value, size], b)
        }
        for index in step.elements {
            let segment = module.elements[index]
            let items = env.callRuntime(.elemSegmentAlloc, [ctx, ir.i32(index), ir.i32(segment.initializer.count)], b)
            if let offsets = funcRefOffsets(segment.initializer, env), offsets.count > 1 {
                storeFuncRefs(offsets, segment: index, into: items, function: function, env: env, ctx: ctx, b)
                continue
            }
            for (i, item) in segment.initializer.enumerated() {
                let value = constant(item, type: .ref(segment.type), env: env, ctx: ctx, b)
                b.store(value, b.byteOffset(items, 8 * i))
            }
        }
        for index in step.elements {
            let segment = module.elements[index]
            switch segment.mode {
            case .active(let table, let offset):
                var start = constant(offset, type: .i32, env: env, ctx: ctx, b)
                if env.tableIs64(Index(table)) { start = clampedToU32(start, env, b) }
                env.callRuntime(.tableInit, [ctx, ir.i32(Int(table)), ir.i32(index), start, ir.i32(0), ir.i32(segment.initializer.count)], b)
                env.callRuntime(.elemDrop, [ctx, ir.i32(index)], b)
            case .declarative:
                env.callRuntime(.elemDrop, [ctx, ir.i32(index)], b)
            case .passive:
                break
            }
        }
        // Active data segments in order; runs of those at constant offsets (what producers
        // make, up to tens of thousands of segments for Go) as loops over a table of rows.
        var run: [[UInt32]] = []
        func flush() {
            if run.count == 1 {
                initData(memory: ir.i32(run[0][0]), segment: ir.i32(run[0][1]), start: ir.i32(run[0][2]), length: ir.i32(run[0][3]))
            } else if run.count > 1 {
                forEachRow(of: run, name: "wasmc.active_data.\(run[0][1])", function: function, env: env, b) { row, _ in
                    initData(memory: row[0], segment: row[1], start: row[2], length: row[3])
                }
            }
            run = []
        }
        func initData(memory: LLVMValue, segment: LLVMValue, start: LLVMValue, length: LLVMValue) {
            env.callRuntime(.memoryInit, [ctx, memory, segment, start, ir.i32(0), length], b)
            env.callRuntime(.dataDrop, [ctx, segment], b)
        }
        for index in step.data {
            let segment = module.data[index]
            guard case .active(let memoryIndex, let offsetExpression) = segment.mode else { continue }
            let memory = Index<MemorySpace>(memoryIndex)
            if let offset = Self.constantOffset(offsetExpression) {
                // As clampedToU32 below: past u32 is past every memory (and traps as u32's maximum).
                let start = env.is64(memory) ? UInt32(clamping: offset) : UInt32(truncatingIfNeeded: offset)
                run.append([memoryIndex, UInt32(index), start, UInt32(segment.length)])
                continue
            }
            flush()
            var start = constant(offsetExpression, type: .i32, env: env, ctx: ctx, b)
            if env.is64(memory) { start = clampedToU32(start, env, b) }
            initData(memory: ir.i32(Int(memoryIndex)), segment: ir.i32(index), start: start, length: ir.i32(segment.length))
        }
        flush()
        if let start = step.start {
            let callee = FuncIndex(Int(start))
            let type = module.functionType(of: callee)
            if let code = env.function(callee) {
                _ = env.callWasm(type, code, [ctx], b)
            } else {
                let (code, calleeCtx) = env.funcRefTarget(env.funcRef(callee, ctx: ctx, b), invariant: true, b)
                _ = env.callWasm(type, code, [calleeCtx], b)
            }
        }
    }

    /// The vmctx offset of each item's `wasmc_funcref` (`nullFuncRef` for ref.null) when every
    /// item of an element segment is a `ref.func` or a `ref.null`, as compilers make them; nil
    /// otherwise.
    private func funcRefOffsets(_ items: [ConstExpression], _ env: ModuleEnvironment) -> [UInt32]? {
        var offsets: [UInt32] = []
        offsets.reserveCapacity(items.count)
        for item in items {
            switch item.first {
            case .refFunc(let function): offsets.append(UInt32(env.offsets.funcRef(FuncIndex(function))))
            case .refNull: offsets.append(Self.nullFuncRef)
            default: return nil
            }
        }
        return offsets
    }

    private static let nullFuncRef = UInt32.max

    /// Stores the references `offsets` gives (`funcRefOffsets`) into `items`, in a loop.
    private func storeFuncRefs(
        _ offsets: [UInt32], segment: Int, into items: LLVMValue, function: LLVMValue, env: ModuleEnvironment, ctx: LLVMValue,
        _ b: IRBuilder
    ) {
        let ir = env.ir
        forEachRow(of: offsets.map { [$0] }, name: "wasmc.elem.\(segment)", function: function, env: env, b) { row, i in
            let isNull = b.icmp(LLVMIntEQ, row[0], ir.i32(Self.nullFuncRef))
            let reference = b.select(isNull, ir.null(), b.byteOffset(ctx, b.zext(row[0], ir.i64)))
            b.store(reference, b.byteOffset(items, b.mul(i, ir.i64(8))))
        }
    }

    /// Emits `body` once per row of `rows` (all of one length) as a loop over a constant table
    /// `name` of them: `body` gets the row's values (i32) and its index (i64). Code of constant
    /// size, where code per row made a block that grows with the module, which LLVM's passes
    /// take quadratic time over (cc1's 6,000 element items cost 3.9 s at -O2).
    private func forEachRow(
        of rows: [[UInt32]], name: String, function: LLVMValue, env: ModuleEnvironment, _ b: IRBuilder,
        _ body: (_ row: [LLVMValue], _ index: LLVMValue) -> Void
    ) {
        let ir = env.ir
        let width = rows[0].count
        let table = ir.addConstant(name, ir.constArray(ir.i32, rows.flatMap { $0.map { ir.i32($0) } }), alignment: 4)
        let before = b.currentBlock
        let loop = b.appendBlock(function, name)
        let done = b.appendBlock(function, name + ".done")
        b.br(loop)
        b.position(at: loop)
        let i = LLVMBuildPhi(b.builder, ir.i64, "i")!
        let row = b.byteOffset(table, b.mul(i, ir.i64(4 * width)))
        body((0..<width).map { b.load(ir.i32, b.byteOffset(row, 4 * $0)) }, i)
        let next = b.add(i, ir.i64(1))
        let bodyEnd = b.currentBlock
        b.condBr(b.icmp(LLVMIntULT, next, ir.i64(rows.count)), loop, done)
        var values: [LLVMValue?] = [ir.i64(0), next]
        var blocks: [LLVMBasicBlockRef?] = [before, bodyEnd]
        LLVMAddIncoming(i, &values, &blocks, 2)
        b.position(at: done)
    }

    /// The value of an offset expression that is a single constant, else nil.
    public static func constantOffset(_ expression: ConstExpression) -> UInt64? {
        guard expression.count <= 2 else { return nil }
        switch expression.first {
        case .i32Const(let value): return UInt64(UInt32(bitPattern: value))
        case .i64Const(let value): return UInt64(bitPattern: value)
        default: return nil
        }
    }

    /// A 64-bit memory's or table's segment offset (i64) as the runtime's u32: any offset past
    /// u32 lies beyond every memory and table wasmc makes (at most 4 GiB, 2^32-1 entries), and
    /// u32's maximum traps there as well (but for a segment of length 0 at exactly the end of a
    /// 4 GiB memory).
    private func clampedToU32(_ value: LLVMValue, _ env: ModuleEnvironment, _ b: IRBuilder) -> LLVMValue {
        let limit = env.ir.i64(UInt64(UInt32.max))
        return b.trunc(b.select(b.icmp(LLVMIntUGT, value, limit), limit, value), env.ir.i32)
    }

    /// The value of a constant expression (validated: constant instructions, then `end`; with
    /// extended-const, `i32`/`i64` `add`, `sub` and `mul` among them), evaluated on a stack.
    private func constant(_ expression: ConstExpression, type: ValueType, env: ModuleEnvironment, ctx: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        let ir = env.ir
        var stack: [LLVMValue] = []
        for instruction in expression {
            switch instruction {
            case .i32Const(let value): stack.append(ir.i32(value))
            case .i64Const(let value): stack.append(ir.i64(value))
            case .f32Const(let value): stack.append(ir.f32(bits: value.bitPattern))
            case .f64Const(let value): stack.append(ir.f64(bits: value.bitPattern))
            case .v128Const(let value): stack.append(ir.v128(bytes: value.bytes))
            case .refNull: stack.append(ir.null())
            case .refFunc(let function): stack.append(env.funcRef(FuncIndex(function), ctx: ctx, b))
            case .globalGet(let global):
                stack.append(b.load(env.llvmType(module.globals[Int(global)].valueType), env.globalAddress(Index(global), ctx: ctx, b)))
            case .binary(let operation):
                let right = stack.removeLast()
                let left = stack.removeLast()
                switch operation {
                case .i32Add, .i64Add: stack.append(b.add(left, right))
                case .i32Sub, .i64Sub: stack.append(b.sub(left, right))
                case .i32Mul, .i64Mul: stack.append(b.mul(left, right))
                default: preconditionFailure("validation admits only add, sub and mul in constant expressions")
                }
            case .end: break
            default:
                preconditionFailure("validation admits only constant instructions here")
            }
        }
        precondition(stack.count == 1, "validation checks that a constant expression leaves one value")
        return stack[0]
    }

    // MARK: Uniform-signature entry and exit

    /// `void trampoline(code, ctx, io)`: calls `code(ctx, io[0], io[1]...)` and stores its results
    /// to io[0...]. Lets C and Swift call any function of this type without per-signature code.
    ///
    /// The host's arguments are checked where a value kind cannot say the type (typed function
    /// references): a null for a non-null reference traps ("null reference"), a function of
    /// another type for a concrete one "indirect call type mismatch"; wasm code relies on both.
    private func emitTrampoline(_ env: ModuleEnvironment, typeIndex: Int) -> LLVMValue {
        let ir = env.ir
        let type = module.types[typeIndex]
        let function = ir.addFunction("wasmc.trampoline.\(typeIndex)", ir.function(ir.void, [ir.ptr, ir.ptr, ir.ptr]))
        env.setUnwindAttributes(function)
        let b = IRBuilder(ir)
        defer { b.dispose() }
        b.position(at: b.appendBlock(function, "entry"))
        let code = LLVMGetParam(function, 0)!
        let ctx = LLVMGetParam(function, 1)!
        let io = LLVMGetParam(function, 2)!
        let args = type.parameters.enumerated().map { i, param in
            b.load(env.llvmType(param), b.byteOffset(io, RuntimeABI.valueSize * i), align: 8)
        }
        for (arg, param) in zip(args, type.parameters) {
            guard case .ref(let reference) = param else { continue }
            let isNull = b.icmp(LLVMIntEQ, arg, ir.null())
            if !reference.isNullable { trapInTrampoline(if: isNull, .nullReference, ctx: ctx, function: function, env, b) }
            if case .concrete(let typeIndex) = reference.heapType {
                // A null (where allowed) has every reference type; a function must have this one.
                let check = b.appendBlock(function, "check.type")
                let done = b.appendBlock(function, "checked")
                b.condBr(isNull, done, check)
                b.position(at: check)
                let mismatch = b.icmp(LLVMIntNE, env.funcRefTypeID(arg, b), env.typeID(Int(typeIndex), ctx: ctx, b))
                trapInTrampoline(if: mismatch, .indirectCallTypeMismatch, ctx: ctx, function: function, env, b)
                b.br(done)
                b.position(at: done)
            }
        }
        let result = env.callWasm(type, code, [ctx] + args, b)
        storeResults(result, type, into: io, env, b)
        b.ret(nil)
        return function
    }

    /// Traps with `trap` when `condition` holds; code goes on in a new block otherwise.
    private func trapInTrampoline(
        if condition: LLVMValue, _ trap: RuntimeABI.Trap, ctx: LLVMValue, function: LLVMValue, _ env: ModuleEnvironment, _ b: IRBuilder
    ) {
        let trapBlock = b.appendBlock(function, "trap")
        let next = b.appendBlock(function, "ok")
        b.condBr(condition, trapBlock, next)
        b.position(at: trapBlock)
        let call = env.callRuntime(.trap, [ctx, env.ir.i32(trap.rawValue)], b)
        LLVMAddCallSiteAttribute(call, LLVMAttributeIndex(bitPattern: -1), env.ir.enumAttribute("noreturn"))
        b.unreachable()
        b.position(at: next)
    }

    /// A function with `type`'s native signature whose ctx is a `wasmc_host_func`: spills the
    /// arguments to an io array, calls the runtime's `call_host`, and returns what the host wrote.
    private func emitHostThunk(_ env: ModuleEnvironment, typeIndex: Int) -> LLVMValue {
        let ir = env.ir
        let type = module.types[typeIndex]
        let function = env.addWasmFunction("wasmc.host_thunk.\(typeIndex)", type)
        let b = IRBuilder(ir)
        defer { b.dispose() }
        b.position(at: b.appendBlock(function, "entry"))
        let hostFunction = LLVMGetParam(function, 0)!
        let slots = max(1, type.parameters.count, type.results.count)
        let io = b.alloca(ir.array(ir.i8, RuntimeABI.valueSize * slots), "io")
        LLVMSetAlignment(io, 16)
        for i in type.parameters.indices {
            b.store(LLVMGetParam(function, UInt32(i + 1)), b.byteOffset(io, RuntimeABI.valueSize * i), align: 8)
        }
        env.callRuntime(.callHost, [hostFunction, io], b)
        let results = type.results.enumerated().map { i, result in
            b.load(env.llvmType(result), b.byteOffset(io, RuntimeABI.valueSize * i), align: 8)
        }
        b.ret(env.packResults(results, b))
        return function
    }

    private func storeResults(_ result: LLVMValue, _ type: FunctionType, into io: LLVMValue, _ env: ModuleEnvironment, _ b: IRBuilder) {
        switch type.results.count {
        case 0: break
        case 1: b.store(result, io, align: 8)
        default:
            for i in type.results.indices {
                b.store(b.extractValue(result, i), b.byteOffset(io, RuntimeABI.valueSize * i), align: 8)
            }
        }
    }

    // MARK: Descriptor

    private func emitDescriptor(_ env: ModuleEnvironment, initFunction: LLVMValue, trampolines: [LLVMValue], hostThunks: [LLVMValue]) {
        let ir = env.ir
        let metadataBytes = MetadataWriter.build(module: module, offsets: env.offsets, record: record)
        let metadata = ir.addConstant("wasmc.metadata", ir.constBytes(metadataBytes))
        func pointerArray(_ name: String, _ values: [LLVMValue]) -> LLVMValue {
            values.isEmpty ? ir.null() : ir.addConstant(name, ir.constArray(ir.ptr, values), alignment: 8)
        }
        let definedFunctions = module.definedIndices(FunctionSpace.self).map { env.function(module.index(of: $0))! }
        let descriptor = ir.constStruct([
            ir.i32(RuntimeABI.descriptorMagic),
            ir.i32(RuntimeABI.version),
            metadata,
            ir.i64(metadataBytes.count),
            env.runtimeTable,
            initFunction,
            pointerArray("wasmc.functions", definedFunctions),
            pointerArray("wasmc.trampolines", trampolines),
            pointerArray("wasmc.host_thunks", hostThunks),
            env.executionCounts ?? ir.null(),
            ir.i64(env.executionCounts == nil ? 0 : module.definedFunctionCount),
        ])
        let global = ir.addConstant(RuntimeABI.descriptorSymbol, descriptor, alignment: 8, linkage: LLVMExternalLinkage)
        LLVMSetVisibility(global, LLVMDefaultVisibility)
    }
}
