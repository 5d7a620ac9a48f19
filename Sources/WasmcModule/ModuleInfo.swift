import WasmParser
import WasmTypes

/// Everything the later stages need to know about a decoded module, with the import index space
/// kept apart from the defined one.
///
/// Each index space (functions, tables, memories, globals) lists imported items first, as the spec
/// numbers them (<https://webassembly.github.io/spec/core/syntax/modules.html#indices>); the
/// `imported*Count` properties tell where the defined items begin, and `Index`/`DefinedIndex`
/// (Indices.swift) convert between the two numberings.
public struct ModuleInfo: Sendable {
    /// The type section's function types, by type index.
    public var types: [FunctionType] = []
    /// All imports, in section order.
    public var imports: [Import] = []
    /// Type index of every function, imported ones first.
    public var functionTypes: [TypeIndex] = []
    public var importedFunctionCount = 0
    /// Every table type, imported ones first.
    public var tables: [TableType] = []
    /// The initializer of each defined table (by defined index), if it has one (typed function
    /// references); without one a table starts full of nulls.
    public var tableInitializers: [ConstExpression?] = []
    public var importedTableCount = 0
    /// Every memory type, imported ones first.
    public var memories: [MemoryType] = []
    public var importedMemoryCount = 0
    /// Every global type, imported ones first.
    public var globals: [GlobalType] = []
    public var importedGlobalCount = 0
    /// The type index of every tag (exception handling), imported ones first.
    public var tags: [TypeIndex] = []
    public var importedTagCount = 0
    /// Initializers of the defined globals (by defined index).
    public var globalInitializers: [ConstExpression] = []
    public var exports: [Export] = []
    public var start: FunctionIndex?
    public var elements: [ElementSegment] = []
    /// The data segments, without their bytes (`ModuleDecoder` passes those to a `DataSink`).
    public var data: [DataSegment] = []
    /// The data count section's value, when present.
    public var dataCount: UInt32?
    /// Bodies of the defined functions (by defined index).
    public var codes: [Code] = []
    /// The function section's length (number of declared bodies), to check against `codes`.
    public var declaredFunctionCount = 0
    /// Function names from the name section, by function index.
    public var functionNames: [FunctionIndex: String] = [:]
    /// Byte offsets of section starts, for error messages that point at a section.
    public var sectionOffsets: SectionOffsets = SectionOffsets()
    /// A module linked from several (`ModuleLinker`): the defined functions of each, whose code
    /// keeps its module's indices, and how those map onto this module's. Empty otherwise.
    public var linkedCode: [(defined: Range<Int>, map: IndexMap)] = []
    /// A module linked from several: how instantiation goes, each linked module's globals,
    /// tables and segments initialized and its start function run before the next module's.
    /// Empty otherwise (one step: everything, then `start`).
    public var initialization: [InitializationStep] = []

    public init() {}

    /// Adds an import: to the imports, and to its index space, after the imports before it.
    public mutating func addImport(_ entry: Import) {
        imports.append(entry)
        switch entry.descriptor {
        case .function(let typeIndex):
            functionTypes.append(typeIndex)
            importedFunctionCount += 1
        case .table(let type):
            tables.append(type)
            importedTableCount += 1
        case .memory(let type):
            memories.append(type)
            importedMemoryCount += 1
        case .global(let type):
            globals.append(type)
            importedGlobalCount += 1
        case .tag(let typeIndex):
            tags.append(typeIndex)
            importedTagCount += 1
        }
    }

    /// How defined function `function`'s code maps its indices onto the module's (`linkedCode`);
    /// nil when they are the module's own.
    public func indexMap(of function: DefinedFuncIndex) -> IndexMap? {
        linkedCode.first { $0.defined.contains(function.rawValue) }?.map
    }

    /// Which of the modules linked into this one defined function `function` comes from (an
    /// index into `linkedCode`); nil for a module not linked from several.
    public func linkedModule(of function: DefinedFuncIndex) -> Int? {
        linkedCode.firstIndex { $0.defined.contains(function.rawValue) }
    }

    /// One linked module's part of instantiating a module linked from several: the defined
    /// globals and tables it initializes, the element and data segments it applies, in order,
    /// and then the start function it runs (by index in the linked module's index spaces).
    public struct InitializationStep: Sendable {
        public var globals: Range<Int>
        public var tables: Range<Int>
        public var elements: Range<Int>
        public var data: Range<Int>
        public var start: UInt32?

        public init(globals: Range<Int>, tables: Range<Int>, elements: Range<Int>, data: Range<Int>, start: UInt32?) {
            self.globals = globals
            self.tables = tables
            self.elements = elements
            self.data = data
            self.start = start
        }
    }

    public var definedFunctionCount: Int { definedCount(FunctionSpace.self) }

    /// Whether the module has tags, and so may catch exceptions: only then do its functions
    /// get landing pads (a module without tags compiles as it would without exception handling).
    public var hasTags: Bool { !tags.isEmpty }

    /// The type of a function in the function index space.
    public func functionType(of function: FuncIndex) -> FunctionType {
        types[Int(functionTypes[function.rawValue])]
    }

    /// The name the name section gives `function`, if any.
    public func name(of function: FuncIndex) -> String? {
        functionNames[FunctionIndex(function.rawValue)]
    }

    /// Byte offsets of sections in the binary, used to point errors at the right place.
    public struct SectionOffsets: Sendable {
        public var imports = 0
        public var functions = 0
        public var tables = 0
        public var memories = 0
        public var globals = 0
        public var tags = 0
        public var exports = 0
        public var start = 0
        public var elements = 0
        public var dataCount = 0
        public var code = 0
        public var data = 0
        public init() {}
    }
}

extension ModuleInfo {
    /// A data segment: where it goes and how long it is. Its bytes are not here: they may be
    /// hundreds of MB, and pass from the input to the data image (`DataSink`).
    public struct DataSegment: Sendable {
        public enum Mode: Sendable {
            /// Copied by `memory.init` only.
            case passive
            /// Copied into `memory` at `offset` at instantiation.
            case active(memory: UInt32, offset: ConstExpression)
        }

        public var mode: Mode
        /// The length of its bytes.
        public var length: Int

        public init(mode: Mode, length: Int) {
            self.mode = mode
            self.length = length
        }
    }
}
