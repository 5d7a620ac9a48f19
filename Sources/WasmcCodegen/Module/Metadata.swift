import WasmParser
import WasmTypes
import WasmcModule

/// Facts about how a module was compiled, recorded in the artifact.
public struct CompileRecord: Sendable {
    public var targetTriple: String
    public var cpu: String
    public var cpuFeatures: String
    public var options: String
    public var wasmHash: String
    public var explicitBoundsChecks: Bool
    /// Whether the code counts how often each function and loop runs, for a profile
    /// (`wasmc_module_profile_counts`, Documentation/profiles.md).
    public var countsExecutions: Bool
    /// Where the data segments' bytes are: "" for the .so's own data image section, else the
    /// name of the data file beside the .so (`wasmc compile --data`).
    public var dataFile: String
    /// The hash of each data segment's bytes (`wasmc_data_hash`), by data index, which the
    /// loader checks the data image against.
    public var dataHashes: [UInt64]
    /// The data image's embedded directories: how many entries, and the hash of the entries
    /// with their paths.
    public var embeddedFiles: (count: Int, hash: UInt64)
    /// The modules linked into this one (`ModuleLinker`): their names and the SHA-256 of their
    /// wasm (`wasmHash` is the main module's).
    public var linkedModules: [(name: String, hash: String)] = []

    public init(
        targetTriple: String, cpu: String, cpuFeatures: String, options: String, wasmHash: String,
        explicitBoundsChecks: Bool, countsExecutions: Bool = false, dataFile: String = "", dataHashes: [UInt64] = [],
        embeddedFiles: (count: Int, hash: UInt64) = (0, 0)
    ) {
        self.embeddedFiles = embeddedFiles
        self.dataFile = dataFile
        self.dataHashes = dataHashes
        self.targetTriple = targetTriple
        self.cpu = cpu
        self.cpuFeatures = cpuFeatures
        self.options = options
        self.wasmHash = wasmHash
        self.explicitBoundsChecks = explicitBoundsChecks
        self.countsExecutions = countsExecutions
    }
}

/// Writes the metadata blob described in Runtime/include/wasmc_abi.h.
struct MetadataWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u(_ value: Int) { u(UInt64(value)) }

    mutating func u(_ value: UInt64) {
        var value = value
        repeat {
            var byte = UInt8(value & 0x7f)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
    }

    mutating func b(_ value: UInt8) { bytes.append(value) }
    mutating func b(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func s(_ value: String) {
        let utf8 = Array(value.utf8)
        u(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    /// Limits: min, flags (bit 0: a max follows; bit 1: a 64-bit memory), max.
    mutating func limits(_ limits: Limits) {
        u(limits.min)
        b(UInt8(limits.max != nil ? 1 : 0) | (limits.isMemory64 ? 2 : 0))
        if let max = limits.max { u(max) }
    }

    static func refKind(_ type: ReferenceType) -> UInt8 { RuntimeABI.kind(of: .ref(type)) }

    /// A value kind and, for a reference type a kind cannot say (typed function references),
    /// its type key (`RuntimeTypeKeys`).
    mutating func valueType(_ type: ValueType, _ keys: RuntimeTypeKeys) {
        b(RuntimeABI.kind(of: type))
        s(keys.key(of: type))
    }

    static func build(module: ModuleInfo, offsets: VMOffsets, record: CompileRecord) -> [UInt8] {
        var w = MetadataWriter()
        let keys = RuntimeTypeKeys(types: module.types)
        w.u(Int(RuntimeABI.version))
        w.s(record.targetTriple)
        w.s(record.cpu)
        w.s(record.cpuFeatures)
        w.s(record.options)
        w.s(record.wasmHash)
        w.u(record.explicitBoundsChecks ? 1 : 0)
        for offset in [offsets.size, offsets.typeIDs, offsets.funcRefs, offsets.tables, offsets.memories, offsets.globalPtrs, offsets.globalCells, offsets.tags] {
            w.u(offset)
        }
        w.u(module.types.count)
        for (index, type) in module.types.enumerated() {
            w.u(type.parameters.count)
            for p in type.parameters { w.b(RuntimeABI.kind(of: p)) }
            w.u(type.results.count)
            for r in type.results { w.b(RuntimeABI.kind(of: r)) }
            w.s(keys.functionKeys[index])
        }
        w.u(module.imports.count)
        for entry in module.imports {
            w.s(entry.module)
            w.s(entry.name)
            switch entry.descriptor {
            case .function(let typeIndex):
                w.b(0)
                w.u(Int(typeIndex))
            case .table(let type):
                w.b(1)
                w.valueType(.ref(type.elementType), keys)
                w.limits(type.limits)
            case .memory(let type):
                w.b(2)
                w.limits(type)
            case .global(let type):
                w.b(3)
                w.valueType(type.valueType, keys)
                w.b(type.mutability == .variable)
            case .tag(let typeIndex):
                w.b(4)
                w.u(Int(typeIndex))
            }
        }
        w.u(module.functionTypes.count)
        for typeIndex in module.functionTypes { w.u(Int(typeIndex)) }
        w.u(module.tables.count)
        for table in module.tables {
            w.valueType(.ref(table.elementType), keys)
            w.limits(table.limits)
        }
        w.u(module.memories.count)
        for memory in module.memories { w.limits(memory) }
        w.u(module.globals.count)
        for global in module.globals {
            w.valueType(global.valueType, keys)
            w.b(global.mutability == .variable)
        }
        w.u(module.tags.count)
        for typeIndex in module.tags { w.u(Int(typeIndex)) }
        w.u(module.exports.count)
        for export in module.exports {
            w.s(export.name)
            switch export.descriptor {
            case .function(let index): w.b(0); w.u(Int(index))
            case .table(let index): w.b(1); w.u(Int(index))
            case .memory(let index): w.b(2); w.u(Int(index))
            case .global(let index): w.b(3); w.u(Int(index))
            case .tag(let index): w.b(4); w.u(Int(index))
            }
        }
        w.u(module.start.map { Int($0) + 1 } ?? 0)
        w.s(record.dataFile)
        w.u(module.data.count)
        precondition(record.dataHashes.count == module.data.count, "a hash for each data segment")
        for (segment, hash) in zip(module.data, record.dataHashes) {
            w.u(segment.length)
            w.u(hash)
        }
        w.u(record.embeddedFiles.count)
        w.u(record.embeddedFiles.hash)
        w.u(module.elements.count)
        for segment in module.elements { w.b(refKind(segment.type)) }
        let names = module.functionNames.sorted { $0.key < $1.key }
        w.u(names.count)
        for (index, name) in names {
            w.u(Int(index))
            w.s(name)
        }
        w.u(record.linkedModules.count)
        for linked in record.linkedModules {
            w.s(linked.name)
            w.s(linked.hash)
        }
        return w.bytes
    }
}

/// How the runtime tells apart the types a value kind cannot (typed function references), as
/// strings it compares: the type key of a reference type is `(ref null? HEAP)`, HEAP an abstract
/// heap type's name (`func`, `extern`, `exn`, `nofunc`, `noextern`, `noexn`) or a function type
/// written out in full as `[func(P...->R...)]`, where a type that refers to itself says `rec`.
/// Equivalent types get equal keys in every module, so the runtime's canonical type ids and its
/// import checks come out as the spec's type equivalence and matching.
///
/// The key is empty where the value kind says it all (numbers, vectors, `funcref`, `externref`,
/// `exnref`), and a function type's is empty when all its value types' are: those keep the ids
/// the runtime derives from the kinds, which host functions share.
struct RuntimeTypeKeys {
    /// Each type index's key ("" for the types the kinds describe).
    let functionKeys: [String]
    /// Each type index written out in full (what a reference to it says).
    private let expanded: [String]

    init(types: [FunctionType]) {
        var expanded: [String] = []
        var functionKeys: [String] = []
        for (index, type) in types.enumerated() {
            func key(_ value: ValueType) -> String {
                guard case .ref(let reference) = value else { return "\(value)" }
                return Self.referenceKey(reference) { target in
                    target == index ? "rec" : target < expanded.count ? expanded[target] : "?"
                }
            }
            let full = "[func(" + type.parameters.map(key).joined(separator: " ") + "->"
                + type.results.map(key).joined(separator: " ") + ")]"
            expanded.append(full)
            let needsKey = (type.parameters + type.results).contains { Self.needsKey($0) }
            functionKeys.append(needsKey ? full : "")
        }
        self.expanded = expanded
        self.functionKeys = functionKeys
    }

    /// The key of a value type in a module with these types ("" where the kind says it all).
    func key(of type: ValueType) -> String {
        guard Self.needsKey(type), case .ref(let reference) = type else { return "" }
        return Self.referenceKey(reference) { expanded[$0] }
    }

    static func needsKey(_ type: ValueType) -> Bool {
        guard case .ref(let reference) = type else { return false }
        switch reference.heapType {
        case .abstract(.funcRef), .abstract(.externRef), .abstract(.exnRef): return !reference.isNullable
        default: return true
        }
    }

    private static func referenceKey(_ reference: ReferenceType, concrete: (Int) -> String) -> String {
        let heap: String
        switch reference.heapType {
        case .abstract(.funcRef): heap = "func"
        case .abstract(.externRef): heap = "extern"
        case .abstract(.exnRef): heap = "exn"
        case .abstract(.noFunc): heap = "nofunc"
        case .abstract(.noExtern): heap = "noextern"
        case .abstract(.noExn): heap = "noexn"
        case .abstract(let other): heap = "\(other)"  // GC's: refused before code generation
        case .concrete(let index): heap = concrete(Int(index))
        }
        return "(ref \(reference.isNullable ? "null " : "")\(heap))"
    }
}
