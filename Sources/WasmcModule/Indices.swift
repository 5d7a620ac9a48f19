import WasmParser

/// Typed indices into a module's index spaces, so that an index of the whole space (imports
/// first, as the spec numbers them) never mixes with an index of the items the module defines,
/// nor a function index with a memory index. `ModuleInfo` converts between the two kinds; no
/// other code adds or subtracts import counts.
///
/// > Note: <https://webassembly.github.io/spec/core/syntax/modules.html#indices>
public protocol IndexSpace {
    /// How many of the space's items a module imports (they come first).
    static func importedCount(in module: ModuleInfo) -> Int
    /// How many items the space holds, imported and defined.
    static func count(in module: ModuleInfo) -> Int
}

/// The function index space.
public enum FunctionSpace: IndexSpace {
    public static func importedCount(in module: ModuleInfo) -> Int { module.importedFunctionCount }
    public static func count(in module: ModuleInfo) -> Int { module.functionTypes.count }
}

/// The table index space.
public enum TableSpace: IndexSpace {
    public static func importedCount(in module: ModuleInfo) -> Int { module.importedTableCount }
    public static func count(in module: ModuleInfo) -> Int { module.tables.count }
}

/// The memory index space.
public enum MemorySpace: IndexSpace {
    public static func importedCount(in module: ModuleInfo) -> Int { module.importedMemoryCount }
    public static func count(in module: ModuleInfo) -> Int { module.memories.count }
}

/// The global index space.
public enum GlobalSpace: IndexSpace {
    public static func importedCount(in module: ModuleInfo) -> Int { module.importedGlobalCount }
    public static func count(in module: ModuleInfo) -> Int { module.globals.count }
}

/// The tag index space (exception handling).
public enum TagSpace: IndexSpace {
    public static func importedCount(in module: ModuleInfo) -> Int { module.importedTagCount }
    public static func count(in module: ModuleInfo) -> Int { module.tags.count }
}

/// An index of `Space`, imports included: what instructions and exports name.
public struct Index<Space: IndexSpace>: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = Int(rawValue) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// An index of the items of `Space` a module defines itself (0 is the first one after the
/// imports): what function bodies, global initializers and per-definition tables are keyed by.
public struct DefinedIndex<Space: IndexSpace>: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "defined \(rawValue)" }
}

// (WasmKit's WasmParser names its plain UInt32 indices FunctionIndex, TableIndex, MemoryIndex,
// GlobalIndex: these are `Index<...Space>` here.)
public typealias FuncIndex = Index<FunctionSpace>
public typealias DefinedFuncIndex = DefinedIndex<FunctionSpace>
public typealias DefinedGlobalIndex = DefinedIndex<GlobalSpace>

extension ModuleInfo {
    /// The defined item `index` names, or nil for an import.
    public func defined<Space>(_ index: Index<Space>) -> DefinedIndex<Space>? {
        let imported = Space.importedCount(in: self)
        return index.rawValue < imported ? nil : DefinedIndex(index.rawValue - imported)
    }

    /// The index of defined item `defined` in the whole space.
    public func index<Space>(of defined: DefinedIndex<Space>) -> Index<Space> {
        Index(Space.importedCount(in: self) + defined.rawValue)
    }

    /// How many items of `space` the module defines.
    public func definedCount<Space: IndexSpace>(_ space: Space.Type) -> Int {
        Space.count(in: self) - Space.importedCount(in: self)
    }

    /// Every defined item of `space`, in order.
    public func definedIndices<Space: IndexSpace>(_ space: Space.Type) -> [DefinedIndex<Space>] {
        (0..<definedCount(space)).map { DefinedIndex($0) }
    }

    /// The body of a defined function.
    public func code(_ function: DefinedFuncIndex) -> Code { codes[function.rawValue] }

    /// The initializer of a defined global.
    public func initializer(_ global: DefinedGlobalIndex) -> ConstExpression { globalInitializers[global.rawValue] }
}
