import CLLVM
import CLLVMPasses
import WasmParser
import WasmTypes
import WasmcModule

/// The vector instructions beyond LLVM's generic vector operations that code may use: a few wasm
/// SIMD instructions (swizzle) have no generic LLVM form but a single native instruction.
public enum VectorISA: Sendable {
    /// x86-64 with SSSE3 (pshufb).
    case x86SSSE3
    /// aarch64 with Advanced SIMD (tbl).
    case aarch64NEON
    /// riscv64 with the V extension (vrgather).
    case riscvV
    /// Generic LLVM vector operations only.
    case generic

    /// The ISA for a target triple and its LLVM feature string ("+ssse3,-avx512f,...").
    public init(triple: String, features: String) {
        let entries = Set(features.split(separator: ",").map(String.init))
        if triple.hasPrefix("x86_64"), entries.contains("+ssse3") {
            self = .x86SSSE3
        } else if triple.hasPrefix("aarch64"), !entries.contains("-neon") {
            // Advanced SIMD is part of the aarch64 Linux ABI.
            self = .aarch64NEON
        } else if triple.hasPrefix("riscv64"), entries.contains("+v") {
            self = .riscvV
        } else {
            self = .generic
        }
    }
}

/// Whether LLVM's lowering of floor, ceil, trunc and roundeven (scalar and vector) returns a quiet
/// NaN for a signalling one, as wasm requires. x86-64 (roundss/roundps) and aarch64 (frint*)
/// instructions quiet it. riscv64 has no such instruction in rv64gc or V: LLVM converts to an
/// integer and back only when |x| is small enough and passes every other value, NaNs included,
/// through unchanged (seen in the spec suites under qemu). Zfa's fround would quiet it, but the
/// vector lowering would not, so riscv64 always gets the explicit quieting.
public func roundingQuietsNaN(triple: String) -> Bool {
    !triple.hasPrefix("riscv64")
}

/// How wasm functions call each other on a target, for return_call.
///
/// Where LLVM has its tail calling convention (`tailcc`, CallingConv::Tail: x86-64, aarch64), every
/// wasm function and host thunk uses it, and a return_call is a `musttail` call: guaranteed, in
/// constant stack, whatever the two signatures. It passes arguments as the C convention does; the
/// callee pops stack arguments. LLVM 19 has no tailcc for riscv64 ("Unsupported calling
/// convention"): there functions keep the C convention and a return_call is a `tail` call, which
/// LLVM turns into a jump whenever the callee's stack arguments fit in the caller's (always when
/// both take at most 8 integer arguments, the ctx among them, and 8 float arguments, and return
/// what fits in two registers);
/// otherwise it stays a call, and a deep enough chain ends in the stack-exhaustion trap.
/// The convention is part of the ABI (`code` in `wasmc_funcref`), the same for every .so of a
/// target; C calls wasm functions only through the generated trampolines.
public struct WasmCallingConvention: Sendable {
    /// The LLVM calling convention of wasm functions.
    let llvmConvention: UInt32
    /// Whether return_call is guaranteed (`musttail`) rather than left to LLVM (`tail`).
    let guaranteedTailCalls: Bool

    public init(triple: String) {
        if triple.hasPrefix("riscv64") {
            llvmConvention = 0  // CallingConv::C
            guaranteedTailCalls = false
        } else {
            llvmConvention = 18  // CallingConv::Tail
            guaranteedTailCalls = true
        }
    }
}

/// Which of a module's code one LLVM module holds. A small module is generated whole; a large
/// one in parts, each in an LLVM context of its own (ModuleCompiler, ARCHITECTURE §8): one part
/// with what instantiation needs, and parts of defined functions. The symbols the parts share
/// (the functions, the runtime table, the execution counters, the personality) are hidden in
/// the .so the parts are linked into, and internal in a whole module.
public enum CodeScope: Sendable {
    /// Everything, in one LLVM module.
    case whole
    /// Instantiation: the init function, trampolines, host thunks, metadata, data, the
    /// descriptor; and the definitions of the symbols the parts share.
    case instance
    /// Some of the defined functions; every other function it calls is declared.
    case functions
}

/// The symbol of each defined function: `wasm:NAME` from the name section, `wasm:f<index>`
/// without a name; one that would repeat an earlier one gets `.<index>` added. The same in
/// every part of a module, so that parts find each other's functions by name.
public struct FunctionSymbols: Sendable {
    private var names: [String?]

    public init(module: ModuleInfo) {
        names = Array(repeating: nil, count: module.functionTypes.count)
        var used = Set<String>()
        for defined in module.definedIndices(FunctionSpace.self) {
            let index = module.index(of: defined)
            var name = module.name(of: index).map { "wasm:\($0)" } ?? "wasm:f\(index)"
            if used.contains(name) {
                var suffix = ".\(index)"
                while used.contains(name + suffix) { suffix += "_" }
                name += suffix
            }
            used.insert(name)
            names[index.rawValue] = name
        }
    }

    /// The symbol of defined function `function`.
    public subscript(_ function: FuncIndex) -> String { names[function.rawValue]! }

    /// The symbols that `later`, of the same module with more of its names known, names
    /// otherwise: old name to new.
    public func renames(to later: FunctionSymbols) -> [String: String] {
        var renames: [String: String] = [:]
        for (old, new) in zip(names, later.names) {
            if let old, let new, old != new { renames[old] = new }
        }
        return renames
    }
}

/// What function translators need to know about the module: LLVM types of wasm types, where
/// globals, tables and memories live in the vmctx, the declared functions, and how to call the
/// runtime. The only code that knows the instance layout besides `VMOffsets`.
final class ModuleEnvironment {
    let module: ModuleInfo
    let ir: IRModule
    let offsets: VMOffsets
    let explicitBoundsChecks: Bool
    let vectorISA: VectorISA
    /// See `roundingQuietsNaN(triple:)`.
    let roundingQuietsNaN: Bool
    let wasmCalls: WasmCallingConvention
    let scope: CodeScope
    let symbols: FunctionSymbols
    /// The LLVM function of each defined function declared or defined so far, by function
    /// index (`function(_:)`).
    private var functions: [LLVMValue?]
    /// The functions of other parts declared so far, in the order code first called them.
    private(set) var declaredFunctions: [FuncIndex] = []
    /// `@wasmc.rt`: the runtime function table, stored by the loader before anything runs.
    let runtimeTable: LLVMValue
    /// In code that counts executions (`CompileRecord.countsExecutions`): `@wasmc.profile.counts`,
    /// one i64 per defined function (`FunctionTranslator.countExecution`).
    let executionCounts: LLVMValue?
    /// The alias scope list the counters' loads and stores carry, and every other access of the
    /// module's functions says it does not alias (`!noalias`): without it a counter in a loop
    /// would be a store that may alias linear memory, and keep the loop from being vectorized.
    let executionCountsScope: LLVMValue?

    init(
        module: ModuleInfo, ir: IRModule, explicitBoundsChecks: Bool, vectorISA: VectorISA, roundingQuietsNaN: Bool,
        wasmCalls: WasmCallingConvention, countsExecutions: Bool, scope: CodeScope, symbols: FunctionSymbols
    ) {
        self.wasmCalls = wasmCalls
        self.scope = scope
        self.symbols = symbols
        self.functions = Array(repeating: nil, count: module.functionTypes.count)
        self.module = module
        self.ir = ir
        self.offsets = VMOffsets(module: module)
        self.explicitBoundsChecks = explicitBoundsChecks
        self.vectorISA = vectorISA
        self.roundingQuietsNaN = roundingQuietsNaN
        runtimeTable = LLVMAddGlobal(ir.module, ir.ptr, "wasmc.rt")
        Self.share(runtimeTable, initializer: ir.null(), scope: scope)
        if countsExecutions {
            let type = ir.array(ir.i64, module.definedFunctionCount)
            let counts = LLVMAddGlobal(ir.module, type, "wasmc.profile.counts")!
            Self.share(counts, initializer: ir.zero(type), scope: scope)
            LLVMSetAlignment(counts, 8)
            executionCounts = counts
            executionCountsScope = ir.aliasScopeList(domain: "wasmc.profile", scope: "wasmc.profile.counts")
        } else {
            executionCounts = nil
            executionCountsScope = nil
        }
    }

    /// Makes `value` a symbol the parts share: defined (with `initializer`, for a global) and
    /// internal in a whole module, defined and hidden in the instance part, declared elsewhere.
    private static func share(_ value: LLVMValue, initializer: LLVMValue? = nil, scope: CodeScope) {
        switch scope {
        case .whole:
            if let initializer { LLVMSetInitializer(value, initializer) }
            LLVMSetLinkage(value, LLVMInternalLinkage)
        case .instance:
            if let initializer { LLVMSetInitializer(value, initializer) }
            LLVMSetLinkage(value, LLVMExternalLinkage)
            LLVMSetVisibility(value, LLVMHiddenVisibility)
        case .functions:
            LLVMSetLinkage(value, LLVMExternalLinkage)
            LLVMSetVisibility(value, LLVMHiddenVisibility)
        }
    }

    func llvmType(_ type: ValueType) -> LLVMType {
        switch type {
        case .i32: return ir.i32
        case .i64: return ir.i64
        case .f32: return ir.f32
        case .f64: return ir.f64
        case .v128: return ir.v128
        case .ref: return ir.ptr
        }
    }

    /// Declares a wasm function (or host thunk) of `type`, in the wasm calling convention.
    func addWasmFunction(_ name: String, _ type: FunctionType) -> LLVMValue {
        let function = ir.addFunction(name, llvmFunctionType(type))
        LLVMSetFunctionCallConv(function, wasmCalls.llvmConvention)
        setUnwindAttributes(function)
        return function
    }

    /// What a generated function says about exceptions. A wasm exception unwinds natively
    /// through every wasm frame between its throw and its handler (or the wasmc_call that ends
    /// it), whichever module the frame belongs to: every function has an unwind table (which
    /// changes no instruction). In a module without tags nothing can catch, so its functions are
    /// `nounwind` as well, as they were before exception handling; in one with tags they are
    /// not, or LLVM would turn the calls inside a try_table into plain calls.
    func setUnwindAttributes(_ function: LLVMValue) {
        LLVMAddAttributeAtIndex(function, LLVMAttributeIndex(bitPattern: -1), ir.enumAttribute("uwtable", 1))  // sync
        if !module.hasTags { ir.addFunctionAttribute(function, "nounwind") }
    }

    /// Whether a call from `caller` to `callee` crosses from one linked module into another
    /// (`ModuleLinker`) and is to be inlined: the callee is small
    /// (`ModuleCompiler.maximumInlinedAcrossModules`). Its producer could not inline it, as it
    /// did the module's own small functions; the -O1 and -O2 pipelines run no inliner but the
    /// one for such calls (`always-inline`; -O3 inlines by LLVM's measure anyway).
    func inlinesAcrossModules(from caller: FuncIndex, to callee: FuncIndex) -> Bool {
        guard !module.linkedCode.isEmpty, let from = module.defined(caller), let to = module.defined(callee) else { return false }
        return module.linkedModule(of: from) != module.linkedModule(of: to)
            && module.code(to).expression.count <= ModuleCompiler.maximumInlinedAcrossModules
    }

    /// A call of wasm function `callee` (a declared function or a `code` pointer) of `type`.
    func callWasm(_ type: FunctionType, _ callee: LLVMValue, _ args: [LLVMValue], _ b: IRBuilder) -> LLVMValue {
        let call = b.call(llvmFunctionType(type), callee, args)
        LLVMSetInstructionCallConv(call, wasmCalls.llvmConvention)
        return call
    }

    /// The same call as an `invoke` that unwinds to `unwind`; code continues in a new block.
    func invokeWasm(
        _ type: FunctionType, _ callee: LLVMValue, _ args: [LLVMValue], unwind: LLVMBasicBlockRef, _ b: IRBuilder
    ) -> LLVMValue {
        let normal = b.appendBlock(LLVMGetBasicBlockParent(b.currentBlock), "invoke.cont")
        let call = b.invoke(llvmFunctionType(type), callee, args, normal: normal, unwind: unwind)
        LLVMSetInstructionCallConv(call, wasmCalls.llvmConvention)
        b.position(at: normal)
        return call
    }

    /// `wasmc.personality`, the personality routine of functions with landing pads: it forwards
    /// to the runtime's (`wasmc_runtime_functions.personality`), so that the .so keeps no
    /// undefined symbol of the runtime's.
    lazy var personality: LLVMValue = {
        let type = runtimeFunctionType(.personality)
        let function = ir.addFunction("wasmc.personality", type)
        Self.share(function, scope: scope)
        if scope == .functions { return function }
        LLVMAddAttributeAtIndex(function, LLVMAttributeIndex(bitPattern: -1), ir.enumAttribute("uwtable", 1))
        let b = IRBuilder(ir)
        defer { b.dispose() }
        b.position(at: b.appendBlock(function, "entry"))
        let args = (0..<5).map { LLVMGetParam(function, UInt32($0))! }
        b.ret(callRuntime(.personality, args, b))
        return function
    }()

    /// The native type of a wasm function: (ctx, params...) -> void | result | {results...}.
    func llvmFunctionType(_ type: FunctionType) -> LLVMType {
        ir.function(llvmResultType(type.results), [ir.ptr] + type.parameters.map(llvmType))
    }

    func llvmResultType(_ results: [ValueType]) -> LLVMType {
        switch results.count {
        case 0: return ir.void
        case 1: return llvmType(results[0])
        default: return ir.structType(results.map(llvmType))
        }
    }

    /// Packs results the way `llvmResultType` describes (nil for no result).
    func packResults(_ values: [LLVMValue], _ b: IRBuilder) -> LLVMValue? {
        switch values.count {
        case 0: return nil
        case 1: return values[0]
        default:
            var aggregate = ir.poison(ir.structType(values.map { LLVMTypeOf($0)! }))
            for (i, value) in values.enumerated() { aggregate = b.insertValue(aggregate, value, i) }
            return aggregate
        }
    }

    func blockSignature(_ blockType: BlockType) -> (params: [ValueType], results: [ValueType]) {
        switch blockType {
        case .empty: return ([], [])
        case .type(let type): return ([], [type])
        case .funcType(let index):
            let type = module.types[Int(index)]
            return (type.parameters, type.results)
        }
    }

    // MARK: The instance layout (VMOffsets, RuntimeABI): the only code that reads it

    /// The LLVM function of defined function `function` (nil for an import): its definition
    /// (`defineFunction`) or, in a part without it, a declaration.
    func function(_ function: FuncIndex) -> LLVMValue? {
        if let known = functions[function.rawValue] { return known }
        guard module.defined(function) != nil else { return nil }
        precondition(scope != .whole, "a whole module defines every function before code refers to one")
        let declaration = addWasmFunction(symbols[function], module.functionType(of: function))
        LLVMSetLinkage(declaration, LLVMExternalLinkage)
        LLVMSetVisibility(declaration, LLVMHiddenVisibility)
        functions[function.rawValue] = declaration
        declaredFunctions.append(function)
        return declaration
    }

    /// Adds the LLVM function that defined function `function`'s body goes into: internal in a
    /// whole module, hidden for the other parts.
    @discardableResult
    func defineFunction(_ function: FuncIndex) -> LLVMValue {
        precondition(functions[function.rawValue] == nil, "function \(function.rawValue) is defined once")
        let definition = addWasmFunction(symbols[function], module.functionType(of: function))
        if scope != .whole {
            LLVMSetLinkage(definition, LLVMExternalLinkage)
            LLVMSetVisibility(definition, LLVMHiddenVisibility)
        }
        functions[function.rawValue] = definition
        return definition
    }

    /// The `wasmc_funcref` of function `function` in the vmctx (a funcref value).
    func funcRef(_ function: FuncIndex, ctx: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        b.byteOffset(ctx, offsets.funcRef(function))
    }

    /// A funcref's code pointer and callee ctx; invariant for the vmctx's own slots (imports).
    func funcRefTarget(_ funcRef: LLVMValue, invariant: Bool, _ b: IRBuilder) -> (code: LLVMValue, ctx: LLVMValue) {
        func load(_ offset: Int) -> LLVMValue {
            invariant ? b.invariantLoad(ir.ptr, b.byteOffset(funcRef, offset)) : b.load(ir.ptr, b.byteOffset(funcRef, offset))
        }
        return (load(RuntimeABI.FuncRef.code), load(RuntimeABI.FuncRef.ctx))
    }

    /// A funcref's canonical signature id.
    func funcRefTypeID(_ funcRef: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        b.load(ir.i32, b.byteOffset(funcRef, RuntimeABI.FuncRef.typeID))
    }

    /// The canonical signature id of type `typeIndex` in this instance.
    func typeID(_ typeIndex: Int, ctx: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        b.invariantLoad(ir.i32, b.byteOffset(ctx, offsets.typeID(typeIndex)))
    }

    /// The `wasmc_table` of table `index`. Invariant: an instance's tables never change.
    func tableObject(_ index: Index<TableSpace>, ctx: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        b.invariantLoad(ir.ptr, b.byteOffset(ctx, offsets.table(index)))
    }

    /// Whether table `index` is a 64-bit table (i64 indices, memory64).
    func tableIs64(_ index: Index<TableSpace>) -> Bool { module.tables[index.rawValue].limits.isMemory64 }

    /// A table's current size (i32) and its elements array.
    func tableSize(_ table: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        b.load(ir.i32, b.byteOffset(table, RuntimeABI.Table.size))
    }

    func tableElements(_ table: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        b.load(ir.ptr, b.byteOffset(table, RuntimeABI.Table.elements))
    }

    /// The `wasmc_memory` of memory `index`: memory 0 from the vmctx header, the others from the
    /// memories array. Invariant: an instance's memories never change.
    func memoryObject(_ index: Index<MemorySpace>, ctx: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        let offset = index.rawValue == 0 ? RuntimeABI.Header.memory0 : offsets.memory(index)
        return b.invariantLoad(ir.ptr, b.byteOffset(ctx, offset))
    }

    /// The base address of memory `index`'s bytes. Invariant: a memory's base never moves (its
    /// reservation covers every size it can grow to).
    func memoryBase(_ index: Index<MemorySpace>, ctx: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        if index.rawValue == 0 { return b.invariantLoad(ir.ptr, b.byteOffset(ctx, RuntimeABI.Header.memory0Base), "membase") }
        return b.invariantLoad(ir.ptr, b.byteOffset(memoryObject(index, ctx: ctx, b), RuntimeABI.Memory.base), "membase\(index)")
    }

    /// Whether memory `index` is a 64-bit memory (memory64: i64 addresses).
    func is64(_ index: Index<MemorySpace>) -> Bool { module.memories[index.rawValue].isMemory64 }

    /// The current size in bytes (i64) of memory `index`.
    func memorySize(_ index: Index<MemorySpace>, ctx: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        b.load(ir.i64, b.byteOffset(memoryObject(index, ctx: ctx, b), RuntimeABI.Memory.size))
    }

    /// Address of global `index`'s 16-byte cell: in the vmctx for a defined global, the
    /// exporter's for an imported one.
    func globalAddress(_ index: Index<GlobalSpace>, ctx: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        if let defined = module.defined(index) { return b.byteOffset(ctx, offsets.globalCell(defined)) }
        return b.invariantLoad(ir.ptr, b.byteOffset(ctx, offsets.globalPtr(index)))
    }

    /// The `wasmc_tag` of tag `index`. Invariant: an instance's tags never change.
    func tagObject(_ index: Index<TagSpace>, ctx: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        b.invariantLoad(ir.ptr, b.byteOffset(ctx, offsets.tag(index)))
    }

    /// The lowest stack address wasm code may use (the store's `stack_limit`), as an i64.
    /// Invariant while wasm code runs: the runtime sets it when the host first calls in and
    /// restores it when that call returns (Runtime/src/trap.c), so the loads of a function's
    /// checks, and of the callees inlined into it, are one value.
    func stackLimit(ctx: LLVMValue, _ b: IRBuilder) -> LLVMValue {
        let store = b.invariantLoad(ir.ptr, b.byteOffset(ctx, RuntimeABI.Header.store), "store")
        return b.invariantLoad(ir.i64, b.byteOffset(store, RuntimeABI.Store.stackLimit))
    }

    /// The native stack pointer, as an i64, through `WASMC_STACK_POINTER_FUNCTION`
    /// (CLLVMPasses.h): one value per function to LLVM until the pipeline lowers it.
    func stackPointer(_ b: IRBuilder) -> LLVMValue {
        let type = ir.function(ir.i64, [])
        let function = LLVMGetNamedFunction(ir.module, WASMC_STACK_POINTER_FUNCTION) ?? {
            let function = LLVMAddFunction(ir.module, WASMC_STACK_POINTER_FUNCTION, type)!
            LLVMAddAttributeAtIndex(function, LLVMAttributeIndex(bitPattern: -1), ir.enumAttribute("memory", 0))  // none
            for name in ["nounwind", "willreturn", "nosync", "nofree"] { ir.addFunctionAttribute(function, name) }
            return function
        }()
        return b.call(type, function, [])
    }

    // MARK: Runtime calls

    func runtimeFunctionType(_ function: RuntimeABI.Function) -> LLVMType {
        func type(_ c: Character) -> LLVMType {
            switch c {
            case "p": return ir.ptr
            case "i": return ir.i32
            case "l": return ir.i64
            default: return ir.void
            }
        }
        let (params, result) = function.signature
        return ir.function(type(result), params.map(type))
    }

    /// Calls a runtime function through the table the loader installed.
    @discardableResult
    func callRuntime(_ function: RuntimeABI.Function, _ args: [LLVMValue], _ b: IRBuilder) -> LLVMValue {
        b.call(runtimeFunctionType(function), runtimeFunctionPointer(function, b), args)
    }

    /// The address of a runtime function, from the table the loader installed.
    func runtimeFunctionPointer(_ function: RuntimeABI.Function, _ b: IRBuilder) -> LLVMValue {
        let table = b.invariantLoad(ir.ptr, runtimeTable)
        return b.invariantLoad(ir.ptr, b.byteOffset(table, function.offset))
    }
}
