import WasmParser
import WasmTypes
import WasmcModule

/// What function bodies are validated against: the spec's context *C* for a module, with every
/// type already converted to `OperandType` and every index it lists already checked.
///
/// Build one with ``init(validating:)``, which runs all module-level rules; then check bodies with
/// ``FunctionValidator``. `validateModule(_:)` does both.
///
/// > Note: <https://webassembly.github.io/spec/core/valid/conventions.html#contexts>
public struct ValidationContext: Sendable {
    /// The proposals after 2.0 the module may use.
    public internal(set) var features = WasmFeatures.default
    /// The type section, by type index.
    public internal(set) var types: [Signature] = []
    /// The type index of every function, imported ones first.
    public internal(set) var functionTypeIndices: [UInt32] = []
    public internal(set) var importedFunctionCount = 0
    /// The element type of every table, imported ones first.
    public internal(set) var tables: [OperandType] = []
    /// The address type of every table (i32, or i64 for a 64-bit table), imported ones first.
    public internal(set) var tableAddressTypes: [OperandType] = []
    /// The address type of every memory (i32, or i64 for a 64-bit memory), imported ones first.
    public internal(set) var memoryAddressTypes: [OperandType] = []
    public var memoryCount: Int { memoryAddressTypes.count }
    /// Every global, imported ones first.
    public internal(set) var globals: [Global] = []
    public internal(set) var importedGlobalCount = 0
    /// The payload types of every tag, imported ones first (a tag's type has no results).
    public internal(set) var tags: [[OperandType]] = []
    /// The reference type of every element segment.
    public internal(set) var elements: [OperandType] = []
    /// The number of data segments (the data section's length).
    public internal(set) var dataSegmentCount = 0
    /// Whether the module has a data count section, which `memory.init` and `data.drop` need.
    public internal(set) var hasDataCountSection = false
    /// The spec's *C.refs*: which functions are referenced outside function bodies (element
    /// segments, exports, global initializers), by function index. `ref.func` in a body may only
    /// name these.
    public internal(set) var declaredFunctionReferences: [Bool] = []

    public struct Global: Sendable, Equatable {
        public var type: OperandType
        public var isMutable: Bool
    }

    /// Runs every module-level validation rule on `module` (everything but function bodies) and
    /// records the context the bodies are then validated in.
    public init(validating module: ModuleInfo, features: WasmFeatures = .default) throws(ModuleError) {
        var validator = ModuleValidator(module: module, features: features)
        try validator.validateModuleLevel()
        self = validator.context
    }

    init() {}

    public var functionCount: Int { functionTypeIndices.count }

    /// The signature of a function in the function index space (which must exist).
    public func signature(ofFunction index: Int) -> Signature {
        types[Int(functionTypeIndices[index])]
    }

    func isDeclaredReference(_ function: UInt32) -> Bool {
        Int(function) < declaredFunctionReferences.count && declaredFunctionReferences[Int(function)]
    }
}
