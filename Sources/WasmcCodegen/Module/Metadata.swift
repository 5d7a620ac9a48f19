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

    public init(
        targetTriple: String, cpu: String, cpuFeatures: String, options: String, wasmHash: String,
        explicitBoundsChecks: Bool, countsExecutions: Bool = false
    ) {
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

    static func build(module: ModuleInfo, offsets: VMOffsets, record: CompileRecord) -> [UInt8] {
        var w = MetadataWriter()
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
        for type in module.types {
            w.u(type.parameters.count)
            for p in type.parameters { w.b(RuntimeABI.kind(of: p)) }
            w.u(type.results.count)
            for r in type.results { w.b(RuntimeABI.kind(of: r)) }
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
                w.b(refKind(type.elementType))
                w.limits(type.limits)
            case .memory(let type):
                w.b(2)
                w.limits(type)
            case .global(let type):
                w.b(3)
                w.b(RuntimeABI.kind(of: type.valueType))
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
            w.b(refKind(table.elementType))
            w.limits(table.limits)
        }
        w.u(module.memories.count)
        for memory in module.memories { w.limits(memory) }
        w.u(module.globals.count)
        for global in module.globals {
            w.b(RuntimeABI.kind(of: global.valueType))
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
        w.u(module.data.count)
        for segment in module.data {
            switch segment {
            case .passive(let bytes): w.u(bytes.count)
            case .active(let active): w.u(active.initializer.count)
            }
        }
        w.u(module.elements.count)
        for segment in module.elements { w.b(refKind(segment.type)) }
        let names = module.functionNames.sorted { $0.key < $1.key }
        w.u(names.count)
        for (index, name) in names {
            w.u(Int(index))
            w.s(name)
        }
        return w.bytes
    }
}
