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
    /// For each type index, the first type index whose type is equivalent (the same function
    /// type, referring to equivalent types); concrete reference types name these.
    public internal(set) var canonicalTypes: [Int] = []
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

    /// The validator's type for a decoded value type: refused as unsupported when its proposal
    /// is not one the features allow, invalid when it names a type index that does not exist.
    public func operandType(_ type: ValueType) throws(ModuleError) -> OperandType {
        switch type {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .v128: return .v128
        case .ref(let reference): return try operandType(reference)
        }
    }

    public func operandType(_ type: ReferenceType) throws(ModuleError) -> OperandType {
        let heap = try self.heap(type.heapType)
        let needsTypedReferences: Bool
        switch heap {
        case .function, .extern, .exception: needsTypedReferences = !type.isNullable
        default: needsTypedReferences = true
        }
        if needsTypedReferences, !features.allows(.typedFunctionReferences) {
            throw .unsupportedType(.ref(type))
        }
        if heap == .exception || heap == .noException, !features.allows(.exceptionHandling) {
            throw .unsupportedType(.ref(type))
        }
        return .ref(nullable: type.isNullable, heap)
    }

    public func operandTypes(_ types: [ValueType]) throws(ModuleError) -> [OperandType] {
        var result: [OperandType] = []
        result.reserveCapacity(types.count)
        for type in types { result.append(try operandType(type)) }
        return result
    }

    /// A heap type: GC's are refused as unsupported, a type index must exist.
    func heap(_ heapType: HeapType) throws(ModuleError) -> OperandType.Heap {
        switch heapType {
        case .abstract(.funcRef): return .function
        case .abstract(.externRef): return .extern
        case .abstract(.exnRef): return .exception
        case .abstract(.noFunc): return .noFunction
        case .abstract(.noExtern): return .noExtern
        case .abstract(.noExn): return .noException
        case .abstract: throw .unsupportedType(.ref(ReferenceType(isNullable: true, heapType: heapType)))
        case .concrete(let index):
            guard Int(index) < canonicalTypes.count else { throw .unknownType(index) }
            return .type(canonicalTypes[Int(index)])
        }
    }

    /// The non-null reference to functions of type `typeIndex` (what `ref.func` makes).
    func functionReference(typeIndex: UInt32) -> OperandType {
        .ref(nullable: false, .type(canonicalTypes[Int(typeIndex)]))
    }

    func isDeclaredReference(_ function: UInt32) -> Bool {
        Int(function) < declaredFunctionReferences.count && declaredFunctionReferences[Int(function)]
    }
}
