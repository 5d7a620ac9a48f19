#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import WasmKit
import WasmcRuntime

/// Which engine runs an artifact (`wasmc run --engine`).
public enum Engine: String, Sendable, CaseIterable {
    /// Native code when the artifact has some this machine can run, else the interpreter, with
    /// `CompiledModule.fallbackReason` saying why.
    case auto
    /// Native code only: an artifact without native code for this machine is refused.
    case native
    /// The interpreter (WasmKit) on the wasm the artifact carries, always.
    case interp
}

/// A module run by the interpreter: the wasm an artifact carries, parsed by WasmKit. Its
/// imports, exports and types are read from the artifact's metadata as a native module's are.
final class InterpretedModule: @unchecked Sendable {
    let module: WasmKit.Module

    init(wasm: [UInt8], name: String) throws(WasmcError) {
        do {
            module = try parseWasm(bytes: wasm, features: .all)
        } catch {
            throw WasmcError(.load, "\(name): the interpreter cannot read the wasm it carries: \(error)")
        }
    }
}

extension Store {
    /// The interpreter's store that this store's interpreted instances live in (one per store,
    /// so that they can import each other's functions, memories and globals).
    var interpreterStore: WasmKit.Store {
        if let interpreter { return interpreter }
        let store = WasmKit.Store(engine: WasmKit.Engine())
        interpreter = store
        return store
    }
}

extension Store {
    /// The interpreter's copy of a host-created memory, table or global (made at its first import
    /// by an interpreted instance of this store, with its contents then; shared by every later
    /// one). Writes through the host object after that do not reach the copy, nor the other way.
    func mirror(of memory: Memory, _ what: String) throws(WasmcError) -> WasmKit.Memory {
        if let copy = mirrors[ObjectIdentifier(memory)] as? WasmKit.Memory { return copy }
        let pages = UInt64(memory.sizeInPages)
        let max = memory.raw.pointee.has_max != 0 ? memory.raw.pointee.max_pages : nil
        do {
            let copy = try WasmKit.Memory(store: interpreterStore, type: MemoryType(min: pages, max: max, isMemory64: memory.is64))
            memory.withUnsafeMutableBytes { bytes in
                if bytes.count > 0 {
                    copy.withUnsafeMutableBufferPointer(offset: 0, count: bytes.count) { $0.copyMemory(from: UnsafeRawBufferPointer(bytes)) }
                }
            }
            mirrors[ObjectIdentifier(memory)] = copy
            mirrored.append(memory)
            return copy
        } catch {
            throw WasmcError(.link, "\(what): the interpreter cannot make the memory: \(error)")
        }
    }

    func mirror(of table: Table, _ what: String) throws(WasmcError) -> WasmKit.Table {
        if let copy = mirrors[ObjectIdentifier(table)] as? WasmKit.Table { return copy }
        let raw = table.raw.pointee
        let element: WasmKit.ReferenceType = table.kind == .externref ? .externRef : .funcRef
        do {
            let copy = try WasmKit.Table(store: interpreterStore, type: TableType(
                elementType: element, limits: Limits(min: UInt64(raw.size), max: raw.has_max != 0 ? UInt64(raw.max) : nil, isMemory64: table.is64)))
            mirrors[ObjectIdentifier(table)] = copy
            mirrored.append(table)
            return copy
        } catch {
            throw WasmcError(.link, "\(what): the interpreter cannot make the table: \(error)")
        }
    }

    func mirror(of global: Global, _ what: String) throws(WasmcError) -> WasmKit.Global {
        if let copy = mirrors[ObjectIdentifier(global)] as? WasmKit.Global { return copy }
        do {
            let type = GlobalType(mutability: global.isMutable ? .variable : .constant, valueType: global.kind.interpreterType)
            let copy = try WasmKit.Global(store: interpreterStore, type: type, value: try global.value.interpreterValue())
            mirrors[ObjectIdentifier(global)] = copy
            mirrored.append(global)
            return copy
        } catch {
            throw WasmcError(.link, "\(what): the interpreter cannot make the global: \(error)")
        }
    }
}

extension CompiledModule {
    /// Loads an artifact as `init(path:dataPath:trust:key:)` does, and runs it with `engine`:
    /// with `.auto` (the default), an artifact without native code this machine can run (another
    /// architecture, a CPU feature this CPU lacks, another ABI version, a bundle without this
    /// machine) is run by the interpreter on the wasm it carries, and `fallbackReason` says why.
    /// `.native` refuses such an artifact (`.noNativeCode`); `.interp` always interprets.
    /// Trust and decryption apply to the file either way, before anything runs.
    public static func load(
        path: String, dataPath: String? = nil, trust: TrustPolicy? = nil, key: PrivateKey? = nil, engine: Engine = .auto
    ) throws(WasmcError) -> CompiledModule {
        // Decrypted and checked once, for whichever engine runs it.
        let artifact = try OpenedArtifact(path: path, trust: trust, key: key)
        var reason: String?
        if engine != .interp {
            do {
                return try CompiledModule(artifact: artifact, dataPath: dataPath)
            } catch {
                guard case .noNativeCode = error.kind, engine == .auto else { throw error }
                reason = error.message.hasPrefix(path + ": ") ? String(error.message.dropFirst(path.count + 2)) : error.message
            }
        }
        guard let reason else { return try interpreted(artifact, reason: "--engine interp") }
        do {
            return try interpreted(artifact, reason: reason)
        } catch {
            let why = error.message.hasPrefix(path + ": ") ? String(error.message.dropFirst(path.count + 2)) : error.message
            throw WasmcError(.noNativeCode, "\(path): \(reason); and the interpreter cannot run it either: \(why)")
        }
    }

    /// The artifact (checked, opened) for the interpreter.
    private static func interpreted(_ artifact: OpenedArtifact, reason: String) throws(WasmcError) -> CompiledModule {
        let path = artifact.path
        return try artifact.naming { opened throws(WasmcError) in
            let metadata = try CompiledModule(inspecting: opened)
            guard metadata.embeddedWasm.count <= 1 else {
                throw WasmcError(.noNativeCode, "\(path): \(reason); and the interpreter cannot run an artifact with modules linked into it (--link) yet")
            }
            guard metadata.dataSegments.embeddedEntries == 0 else {
                throw WasmcError(.noNativeCode, "\(path): \(reason); and the interpreter cannot serve embedded directories (--embed-dir) yet")
            }
            let wasm = try extractWasm(from: opened)
            metadata.interpreted = try InterpretedModule(wasm: wasm, name: path)
            metadata.fallbackReason = reason
            return metadata
        }
    }

    /// Whether the interpreter runs this module (its native code could not run here, or
    /// `--engine interp`).
    public var isInterpreted: Bool { interpreted != nil }
}

// MARK: values and traps

extension Value {
    /// The interpreter's value; throws for a non-null reference, which it cannot take from here.
    func interpreterValue() throws(WasmcError) -> WasmKit.Value {
        switch self {
        case .i32(let v): return .i32(UInt32(bitPattern: v))
        case .i64(let v): return .i64(UInt64(bitPattern: v))
        case .f32(let v): return .f32(v.bitPattern)
        case .f64(let v): return .f64(v.bitPattern)
        case .v128(let v): return .v128(WasmKit.V128(bytes: v.bytes))
        case .funcref(nil): return .ref(.function(nil))
        case .externref(let reference): return .ref(.extern(reference.map { Int(bitPattern: $0.bits) }))
        case .exnref(nil): return .ref(.exception(nil))
        default: throw WasmcError(.link, "the interpreter takes no function or exception references but null from the host")
        }
    }

    /// A value of the interpreter's: numbers, vectors and externrefs exactly, function and
    /// exception references when null (a non-null one has no counterpart here: an error).
    init(_ value: WasmKit.Value) throws(WasmcError) {
        switch value {
        case .i32(let v): self = .i32(Int32(bitPattern: v))
        case .i64(let v): self = .i64(Int64(bitPattern: v))
        case .f32(let v): self = .f32(Float(bitPattern: v))
        case .f64(let v): self = .f64(Double(bitPattern: v))
        case .v128(let v): self = .v128(V128(bytes: v.bytes))
        case .ref(.extern(let address)): self = .externref(address.map { ExternReference(bits: UInt(bitPattern: $0)) })
        case .ref(.function(nil)): self = .funcref(nil)
        case .ref(.exception(nil)): self = .exnref(nil)
        case .ref(.function), .ref(.exception):
            throw WasmcError(.link, "the interpreter path cannot give the host a function or exception reference")
        }
    }
}

extension Trap {
    /// The trap of the interpreter's error, by its wording (the spec's, which both use); nil
    /// for an error that is not a trap.
    init?(interpreter error: any Error) {
        guard let trap = error as? WasmKit.Trap else { return nil }
        let text = trap.description.hasPrefix("Trap: ") ? String(trap.description.dropFirst(6)) : trap.description
        let codes: [(String, Trap)] = [
            ("unreachable", .unreachable), ("call stack exhausted", .callStackExhausted),
            ("out of bounds memory access", .memoryOutOfBounds), ("integer divide by zero", .integerDivideByZero),
            ("integer overflow", .integerOverflow), ("invalid conversion to integer", .invalidConversion),
            ("null function reference", .nullFunctionReference), ("null reference", .nullReference),
            ("indirect call to null element", .uninitializedElement), ("indirect call type mismatch", .indirectCallTypeMismatch),
            // The interpreter words a table index out of bounds alike for call_indirect (the
            // spec's "undefined element") and for table instructions and segments ("out of
            // bounds table access"): the latter, the more common.
            ("out of bounds table access", .tableOutOfBounds),
        ]
        self = codes.first { text.hasPrefix($0.0) }?.1 ?? .hostError
    }
}

extension CompiledModule.FunctionType {
    var interpreterType: WasmKit.FunctionType {
        WasmKit.FunctionType(parameters: parameters.map(\.interpreterType), results: results.map(\.interpreterType))
    }
}

extension ValueKind {
    var interpreterType: WasmKit.ValueType {
        switch self {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .v128: return .v128
        case .funcref: return .ref(.funcRef)
        case .externref: return .ref(.externRef)
        case .exnref: return .ref(.exnRef)
        }
    }
}

/// The error a host function throws through the interpreter, caught again where the call
/// started: a trap of ours (a host failure, proc_exit) or anything the host threw.
struct HostFailure: Error {
    let error: any Error
}

// MARK: instances

extension Instance {
    /// Instantiates an interpreted module: its imports as the interpreter's, each of the same
    /// interpreter store (functions of other interpreted instances, host functions, WASI).
    static func interpreted(module: CompiledModule, store: Store, imports: [Extern]) throws(WasmcError) -> WasmKit.Instance {
        let interpreter = store.interpreterStore
        var definitions = Imports()
        for (entry, provided) in zip(module.imports, imports) {
            let what = "\"\(entry.module)\".\"\(entry.name)\""
            // The limits, as the runtime checks them for native code: at least the minimum the
            // import asks for, and a maximum within its maximum if it has one.
            func checkLimits(size: UInt64?, maximum: UInt64?) throws(WasmcError) {
                guard size.map({ $0 >= entry.minimum }) ?? true, entry.maximum.map({ maximum != nil && maximum! <= $0 }) ?? true else {
                    throw WasmcError(.link, "incompatible import type for \(what): limits \(size.map(String.init) ?? "?")..\(maximum.map(String.init) ?? "") "
                        + "for \(entry.minimum)..\(entry.maximum.map(String.init) ?? "")")
                }
            }
            switch provided {
            case .function(let function):
                if let interpreted = function.interpreted {
                    definitions.define(module: entry.module, name: entry.name, interpreted)
                } else if let host = function.host {
                    definitions.define(module: entry.module, name: entry.name, hostFunction(host, function: function, store: interpreter))
                } else {
                    throw WasmcError(.link, "\(what): a function of a native instance cannot be imported by an interpreted one")
                }
            case .memory(let memory):
                try checkLimits(size: UInt64(memory.sizeInPages),
                                maximum: memory.interpreted.map { $0.type.max } ?? (memory.raw.pointee.has_max != 0 ? memory.raw.pointee.max_pages : nil))
                if memory.interpreted == nil && memory.owner != nil {
                    throw WasmcError(.link, "\(what): a memory of a native instance cannot be imported by an interpreted one")
                }
                let value = if let interpreted = memory.interpreted { interpreted } else { try store.mirror(of: memory, what) }
                definitions.define(module: entry.module, name: entry.name, value)
            case .global(let global):
                if global.interpreted == nil && global.owner != nil {
                    throw WasmcError(.link, "\(what): a global of a native instance cannot be imported by an interpreted one")
                }
                let value = if let interpreted = global.interpreted { interpreted } else { try store.mirror(of: global, what) }
                definitions.define(module: entry.module, name: entry.name, value)
            case .table(let table):
                if let interpreted = table.interpreted {
                    // The interpreter does not say a table's size now, only its maximum.
                    try checkLimits(size: nil, maximum: interpreted.type.limits.max)
                } else {
                    try checkLimits(size: UInt64(table.size), maximum: table.raw.pointee.has_max != 0 ? UInt64(table.raw.pointee.max) : nil)
                }
                if let interpreted = table.interpreted {
                    definitions.define(module: entry.module, name: entry.name, interpreted)
                    break
                }
                guard table.owner == nil else {
                    throw WasmcError(.link, "\(what): a table of a native instance cannot be imported by an interpreted one")
                }
                definitions.define(module: entry.module, name: entry.name, try store.mirror(of: table, what))
            case .tag:
                throw WasmcError(.link, "\(what): the interpreter path takes no tags from the host yet")
            }
        }
        do {
            return try module.interpreted!.module.instantiate(store: interpreter, imports: definitions)
        } catch let failure as HostFailure {
            if let trap = failure.error as? Trap { throw WasmcError(.trap(trap), "instantiation trapped: \(trap.message)") }
            throw WasmcError(.trap(.hostError), "instantiation: \(failure.error)")
        } catch {
            if let trap = Trap(interpreter: error) { throw WasmcError(.trap(trap), "instantiation trapped: \(trap.message)") }
            throw WasmcError(.link, "the interpreter cannot instantiate it: \(error)")
        }
    }

    /// A host function of the runtime's (C) or of Swift, as the interpreter calls it. A WASI
    /// function reads guest memory through a view of the calling instance's "memory" export.
    private static func hostFunction(_ host: UnsafeMutablePointer<wasmc_host_func>, function: Function, store: WasmKit.Store) -> WasmKit.Function {
        let type = function.type
        if let implementation = function.swiftImplementation {
            return WasmKit.Function(store: store, type: type.interpreterType) { _, arguments in
                do {
                    return try implementation(arguments.map { v throws(WasmcError) in try Value(v) }).map { try $0.interpreterValue() }
                } catch {
                    throw HostFailure(error: error)
                }
            }
        }
        let wasi = function.owner as? WASI
        return WasmKit.Function(store: store, type: type.interpreterType) { caller, arguments in
            if let wasi, let memory = caller.instance?.exports[memory: "memory"] {
                wasi.view(of: memory)
            }
            return try withUnsafeTemporaryAllocation(of: wasmc_value.self, capacity: max(1, type.parameters.count, type.results.count)) { io in
                for (i, argument) in arguments.enumerated() { try Value(argument).store(to: io.baseAddress! + i) }
                let trap = host.pointee.callback(host.pointee.env, io.baseAddress!)
                if trap != 0 { throw HostFailure(error: Trap(code: trap)) }
                return try type.results.indices.map { try Value.load(type.results[$0], from: io.baseAddress! + $0).interpreterValue() }
            }
        }
    }
}

extension Function {
    /// Calls an interpreted function.
    static func callInterpreted(_ function: WasmKit.Function, _ arguments: [Value]) throws -> [Value] {
        let values = try arguments.map { try $0.interpreterValue() }
        do {
            return try function.invoke(values).map { v throws(WasmcError) in try Value(v) }
        } catch let failure as HostFailure {
            throw failure.error
        } catch {
            if let trap = Trap(interpreter: error) { throw trap }
            throw WasmcError(.link, "\(error)")
        }
    }
}

extension WASI {
    /// Points the WASI context's memory at the interpreter's memory, as it is now.
    func view(of memory: WasmKit.Memory) {
        let size = memory.byteCount
        let base = size == 0 ? nil : memory.withUnsafeMutableBufferPointer(offset: 0, count: 0) { $0.baseAddress }
        interpreterView.pointee.base = base?.assumingMemoryBound(to: UInt8.self)
        interpreterView.pointee.size = UInt64(size)
        wasmc_wasi_bind_memory(raw, interpreterView)
    }
}
