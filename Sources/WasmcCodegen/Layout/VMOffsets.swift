import WasmcModule

/// Where everything lives in an instance context (vmctx), computed in one place from the module's
/// counts. The runtime learns the same offsets from the metadata blob.
///
/// ```
///   0  header        memory0_base, memory0, store, instance          (RuntimeABI.Header)
///      typeIDs       UInt32 × types, padded to 8
///      funcRefs      wasmc_funcref (32 bytes) × functions, imported first
///      tables        wasmc_table* × tables
///      memories      wasmc_memory* × memories
///      globalPtrs    wasmc_value* × globals (imported: the exporter's cell; defined: ours)
///      globalCells   wasmc_value (16 bytes) × defined globals, 16-byte aligned
///      tags          wasmc_tag* × tags, imported first
/// ```
public struct VMOffsets: Sendable {
    public let typeIDs: Int
    public let funcRefs: Int
    public let tables: Int
    public let memories: Int
    public let globalPtrs: Int
    public let globalCells: Int
    public let tags: Int
    public let size: Int

    public init(module: ModuleInfo) {
        func align(_ value: Int, _ to: Int) -> Int { (value + to - 1) / to * to }
        typeIDs = RuntimeABI.Header.size
        funcRefs = align(typeIDs + 4 * module.types.count, 8)
        tables = funcRefs + RuntimeABI.FuncRef.size * module.functionTypes.count
        memories = tables + 8 * module.tables.count
        globalPtrs = memories + 8 * module.memories.count
        globalCells = align(globalPtrs + 8 * module.globals.count, 16)
        tags = globalCells + 16 * module.definedCount(GlobalSpace.self)
        size = align(tags + 8 * module.tags.count, 16)
    }

    public func typeID(_ typeIndex: Int) -> Int { typeIDs + 4 * typeIndex }
    public func funcRef(_ function: FuncIndex) -> Int { funcRefs + RuntimeABI.FuncRef.size * function.rawValue }
    public func table(_ table: Index<TableSpace>) -> Int { tables + 8 * table.rawValue }
    public func memory(_ memory: Index<MemorySpace>) -> Int { memories + 8 * memory.rawValue }
    public func globalPtr(_ global: Index<GlobalSpace>) -> Int { globalPtrs + 8 * global.rawValue }
    public func globalCell(_ global: DefinedGlobalIndex) -> Int { globalCells + 16 * global.rawValue }
    public func tag(_ tag: Index<TagSpace>) -> Int { tags + 8 * tag.rawValue }
}
