import WasmKit
import WasmcRuntime

/// Something an instance exports or an import is satisfied with.
public enum Extern {
    case function(Function)
    case table(Table)
    case memory(Memory)
    case global(Global)
    case tag(Tag)

    public var kind: ExternKind {
        switch self {
        case .function: return .function
        case .table: return .table
        case .memory: return .memory
        case .global: return .global
        case .tag: return .tag
        }
    }
}

/// A tag (exception handling): exceptions are thrown with one and caught by it. Two `Tag`s are
/// equal when they are the same runtime tag (an imported tag is its exporter's).
public final class Tag: Equatable, @unchecked Sendable {
    let raw: UnsafeMutablePointer<wasmc_tag>
    let owner: AnyObject?
    private let ownsTag: Bool

    init(raw: UnsafeMutablePointer<wasmc_tag>, owner: AnyObject?) {
        self.raw = raw
        self.owner = owner
        self.ownsTag = false
    }

    /// A tag of the host's whose exceptions carry values of `parameters`.
    public init(parameters: [ValueKind]) {
        let kinds = parameters.map(\.rawValue)
        raw = wasmc_tag_new(kinds, UInt32(kinds.count))
        owner = nil
        ownsTag = true
    }

    deinit { if ownsTag { wasmc_tag_release(raw) } }

    /// The kinds of the values an exception of this tag carries.
    public var parameters: [ValueKind] {
        (0..<Int(raw.pointee.nparams)).map { ValueKind(rawValue: raw.pointee.params[$0])! }
    }

    public static func == (lhs: Tag, rhs: Tag) -> Bool { lhs.raw == rhs.raw }
}

/// A wasm exception: thrown by wasm code and not caught there (from `Function.call`), or thrown
/// by a host function into the wasm code that called it (`throw WasmException(tag:payload:)`).
public struct WasmException: Error, @unchecked Sendable, CustomStringConvertible {
    public let tag: Tag
    public let payload: [Value]
    /// The runtime's exception, and the store that owns it, when wasm code threw it.
    let raw: UnsafeMutablePointer<wasmc_exception>?
    let store: Store?

    /// An exception to throw from a host function.
    public init(tag: Tag, payload: [Value]) {
        precondition(payload.map(\.kind) == tag.parameters, "the payload must match the tag's parameters")
        self.tag = tag
        self.payload = payload
        self.raw = nil
        self.store = nil
    }

    /// The exception that ended the last call on `store`.
    init(uncaughtIn store: Store) {
        let raw = wasmc_store_exception(store.raw)!
        self.init(raw, store: store)
    }

    /// The exception an exnref value points to (of `store`).
    public init(_ reference: ExceptionReference, store: Store) {
        self.init(reference.pointer, store: store)
    }

    private init(_ raw: UnsafeMutablePointer<wasmc_exception>, store: Store) {
        // The exception holds a reference to its tag, and the store holds the exception.
        let tag = Tag(raw: raw.pointee.tag, owner: store)
        let values = UnsafeMutableRawPointer(raw).advanced(by: MemoryLayout<wasmc_exception>.size)
            .assumingMemoryBound(to: wasmc_value.self)
        self.tag = tag
        self.payload = tag.parameters.enumerated().map { Value.load($1, from: values + $0) }
        self.raw = raw
        self.store = store
    }

    /// The exception as an exnref value (valid while its store lives).
    public var reference: ExceptionReference? { raw.map(ExceptionReference.init) }

    public var description: String { "uncaught exception" }
}

/// A callable function: a wasm function of some instance, or a host function written in Swift.
public final class Function: @unchecked Sendable {
    public let type: CompiledModule.FunctionType
    /// For wasm functions: the funcref the runtime calls, and what keeps it alive.
    let funcRef: UnsafePointer<wasmc_funcref>?
    let store: Store?
    let owner: AnyObject?
    /// For host functions: the runtime object and the Swift implementation.
    let host: UnsafeMutablePointer<wasmc_host_func>?
    let implementation: (([Value]) throws -> [Value])?
    /// Whether `host` is this object's reference to release (false when the runtime object
    /// belongs to someone else, e.g. a WASI context).
    private let ownsHost: Bool
    /// A function of an interpreted instance.
    let interpreted: WasmKit.Function?

    init(interpreted: WasmKit.Function, type: CompiledModule.FunctionType, owner: AnyObject) {
        self.type = type
        self.funcRef = nil
        self.store = nil
        self.owner = owner
        self.host = nil
        self.implementation = nil
        self.ownsHost = false
        self.interpreted = interpreted
    }

    /// The Swift body of a host function made with `init(type:_:)`; nil for others.
    var swiftImplementation: (([Value]) throws -> [Value])? { ownsHost ? implementation : nil }

    init(funcRef: UnsafePointer<wasmc_funcref>, type: CompiledModule.FunctionType, store: Store, owner: AnyObject) {
        self.funcRef = funcRef
        self.type = type
        self.store = store
        self.owner = owner
        self.host = nil
        self.implementation = nil
        self.ownsHost = false
        self.interpreted = nil
    }

    /// A host function the runtime created (a WASI function), kept alive by `owner`. Only wasm
    /// code calls it.
    init(runtimeHost host: UnsafeMutablePointer<wasmc_host_func>, type: CompiledModule.FunctionType, owner: AnyObject) {
        self.type = type
        self.funcRef = nil
        self.store = nil
        self.owner = owner
        self.host = host
        self.ownsHost = false
        self.interpreted = nil
        self.implementation = { _ in throw WasmcError(.link, "this host function is called by wasm code only") }
    }

    /// A host function. When `body` throws a `Trap` the calling wasm code traps with it; a
    /// `WasmException`, the calling code throws it; any other error traps with `Trap.hostError`.
    public init(type: CompiledModule.FunctionType, _ body: @escaping ([Value]) throws -> [Value]) {
        self.type = type
        self.funcRef = nil
        self.store = nil
        self.owner = nil
        self.implementation = body
        self.ownsHost = true
        self.interpreted = nil
        let box = Unmanaged.passRetained(HostBox(type: type, body: body)).toOpaque()
        let params = type.parameters.map(\.rawValue)
        let results = type.results.map(\.rawValue)
        self.host = wasmc_host_func_new(
            params, UInt32(params.count), results, UInt32(results.count), hostTrampoline, box,
            { env in Unmanaged<HostBox>.fromOpaque(env!).release() })
    }

    deinit {
        if let host, ownsHost { wasmc_host_func_release(host) }
    }

    /// Calls the function. Throws `Trap` if the wasm code traps, `WasmException` if an exception
    /// leaves it, `WasmcError` on bad arguments.
    public func call(_ arguments: [Value]) throws -> [Value] {
        // The hot path of every host→wasm call: no allocation besides the results array (the
        // argument check compares in place, io lives on the stack).
        let parameters = type.parameters
        guard arguments.count == parameters.count, zip(arguments, parameters).allSatisfy({ $0.kind == $1 }) else {
            throw WasmcError(.link, "arguments \(arguments.map(\.kind)) do not match the function type \(type)")
        }
        if let implementation { return try implementation(arguments) }
        if let interpreted { return try Self.callInterpreted(interpreted, arguments) }
        let results = type.results
        return try withUnsafeTemporaryAllocation(of: wasmc_value.self, capacity: max(1, parameters.count, results.count)) {
            let io = $0.baseAddress!
            for i in arguments.indices { arguments[i].store(to: io + i) }
            let trap = wasmc_call(store!.raw, funcRef!, io)
            if trap == WASMC_EXCEPTION { throw WasmException(uncaughtIn: store!) }
            if trap != 0 { throw Trap(code: trap) }
            var values: [Value] = []
            values.reserveCapacity(results.count)
            for i in results.indices { values.append(Value.load(results[i], from: io + i)) }
            return values
        }
    }

    public func callAsFunction(_ arguments: Value...) throws -> [Value] { try call(arguments) }
}

final class HostBox {
    let type: CompiledModule.FunctionType
    let body: ([Value]) throws -> [Value]

    init(type: CompiledModule.FunctionType, body: @escaping ([Value]) throws -> [Value]) {
        self.type = type
        self.body = body
    }
}

/// Called by the runtime for every host function call: unpacks the arguments, runs the Swift
/// closure, packs the results. Returns a trap code; never lets a Swift error cross into C.
private let hostTrampoline: wasmc_host_callback = { env, io in
    let box = Unmanaged<HostBox>.fromOpaque(env!).takeUnretainedValue()
    let io = io!
    let arguments = box.type.parameters.enumerated().map { i, kind in Value.load(kind, from: io + i) }
    do {
        let results = try box.body(arguments)
        guard results.map(\.kind) == box.type.results else { return WASMC_TRAP_HOST.rawValue }
        for (i, result) in results.enumerated() { result.store(to: io + i) }
        return 0
    } catch let trap as Trap {
        return trap.code
    } catch let exception as WasmException {
        if let raw = exception.raw { return wasmc_host_throw(raw) }
        var values = [wasmc_value](repeating: wasmc_value(), count: max(1, exception.payload.count))
        values.withUnsafeMutableBufferPointer { buffer in
            for (i, value) in exception.payload.enumerated() { value.store(to: buffer.baseAddress! + i) }
        }
        // Owned by the store of the call it is thrown into.
        guard let raw = wasmc_exception_new(nil, exception.tag.raw, values) else { return WASMC_TRAP_HOST.rawValue }
        return wasmc_host_throw(raw)
    } catch {
        return WASMC_TRAP_HOST.rawValue
    }
}

/// A linear memory: standalone (host-created) or exported by an instance.
public final class Memory: @unchecked Sendable {
    /// The runtime's memory; for an interpreted one, a view of the interpreter's bytes whose base
    /// and size `current` keeps up to date.
    let raw: UnsafeMutablePointer<wasmc_memory>
    let owner: AnyObject?
    let interpreted: WasmKit.Memory?

    init(raw: UnsafeMutablePointer<wasmc_memory>, owner: AnyObject) {
        self.raw = raw
        self.owner = owner
        self.interpreted = nil
    }

    init(interpreted: WasmKit.Memory, owner: AnyObject) {
        self.raw = .allocate(capacity: 1)
        raw.initialize(to: wasmc_memory())
        self.owner = owner
        self.interpreted = interpreted
    }

    /// The runtime's memory, its base and size read again from the interpreter's.
    private var current: UnsafeMutablePointer<wasmc_memory> {
        if let interpreted {
            let size = interpreted.byteCount
            raw.pointee.size = UInt64(size)
            raw.pointee.base = size == 0 ? nil
                : interpreted.withUnsafeMutableBufferPointer(offset: 0, count: 0) { $0.baseAddress?.assumingMemoryBound(to: UInt8.self) }
        }
        return raw
    }

    /// A memory of `minPages` pages that can grow to `maxPages` (65536 when nil); with
    /// `is64`, a 64-bit memory (memory64), which modules import as `(memory i64 ...)`.
    public init(minPages: UInt32, maxPages: UInt32? = nil, is64: Bool = false) throws(WasmcError) {
        var error = wasmc_error()
        guard let raw = wasmc_memory_new(minPages, maxPages == nil ? 0 : 1, maxPages ?? 0, &error) else {
            throw WasmcError(error)
        }
        raw.pointee.is64 = is64 ? 1 : 0
        self.raw = raw
        self.owner = nil
        self.interpreted = nil
    }

    /// Whether this is a 64-bit memory (memory64).
    public var is64: Bool { raw.pointee.is64 != 0 }

    deinit {
        if interpreted != nil {
            raw.deallocate()
        } else if owner == nil {
            wasmc_memory_release(raw)
        }
    }

    public var sizeInPages: UInt32 { UInt32(current.pointee.size / 65536) }
    public var sizeInBytes: Int { Int(current.pointee.size) }

    /// Grows by `pages`; returns the old size in pages, or nil when it cannot grow (always nil
    /// for an interpreted instance's memory, which only its code grows).
    @discardableResult
    public func grow(by pages: UInt32) -> UInt32? {
        guard interpreted == nil else { return nil }
        let old = wasmc_memory_grow(raw, pages)
        return old < 0 ? nil : UInt32(old)
    }

    /// The memory's bytes, valid until it grows or the function returns.
    public func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        let memory = current
        return try body(UnsafeMutableRawBufferPointer(start: memory.pointee.base, count: Int(memory.pointee.size)))
    }

    /// Copies `count` bytes at `offset`; throws an out-of-bounds trap when they are not all inside.
    public func read(offset: Int, count: Int) throws(Trap) -> [UInt8] {
        guard offset >= 0, count >= 0, offset + count <= sizeInBytes else { throw Trap.memoryOutOfBounds }
        return Array(UnsafeRawBufferPointer(start: current.pointee.base! + offset, count: count))
    }

    public func write(offset: Int, bytes: [UInt8]) throws(Trap) {
        guard offset >= 0, offset + bytes.count <= sizeInBytes else { throw Trap.memoryOutOfBounds }
        bytes.withUnsafeBytes { UnsafeMutableRawPointer(current.pointee.base! + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
}

/// A table of references.
public final class Table: @unchecked Sendable {
    /// The runtime's table; for an interpreted one, an empty table of its kind and limits.
    let raw: UnsafeMutablePointer<wasmc_table>
    let owner: AnyObject?
    /// A table of an interpreted instance, which the host can pass on to other interpreted
    /// instances but not read (the interpreter does not say its size): `size` is 0 for it.
    let interpreted: WasmKit.Table?

    init(raw: UnsafeMutablePointer<wasmc_table>, owner: AnyObject) {
        self.raw = raw
        self.owner = owner
        self.interpreted = nil
    }

    init(interpreted: WasmKit.Table, type: CompiledModule.ExternType, owner: AnyObject) throws(WasmcError) {
        var error = wasmc_error()
        let max = type.maximum.map { UInt32(clamping: $0) }
        guard let raw = wasmc_table_new((type.valueKind ?? .funcref).rawValue, 0, max == nil ? 0 : 1, max ?? 0, nil, &error) else {
            throw WasmcError(error)
        }
        raw.pointee.is64 = type.is64 ? 1 : 0
        self.raw = raw
        self.owner = owner
        self.interpreted = interpreted
    }

    /// A table of `kind` with `min` entries that can grow to `max`; with `is64`, a 64-bit
    /// table (memory64), which modules import as `(table i64 ...)`.
    public init(kind: ValueKind, min: UInt32, max: UInt32? = nil, is64: Bool = false) throws(WasmcError) {
        var error = wasmc_error()
        guard let raw = wasmc_table_new(kind.rawValue, min, max == nil ? 0 : 1, max ?? 0, nil, &error) else {
            throw WasmcError(error)
        }
        raw.pointee.is64 = is64 ? 1 : 0
        self.raw = raw
        self.owner = nil
        self.interpreted = nil
    }

    /// Whether this is a 64-bit table (memory64).
    public var is64: Bool { raw.pointee.is64 != 0 }

    deinit {
        if owner == nil || interpreted != nil { wasmc_table_release(raw) }
    }

    public var kind: ValueKind { ValueKind(rawValue: raw.pointee.kind)! }
    public var size: UInt32 { raw.pointee.size }

    public func get(_ index: UInt32) throws(Trap) -> Value {
        guard index < size else { throw Trap.tableOutOfBounds }
        let element = raw.pointee.elements[Int(index)]
        switch kind {
        case .funcref: return .funcref(element.map { FunctionReference(pointer: UnsafeRawPointer($0)) })
        case .exnref: return .exnref(element.map { ExceptionReference(pointer: $0.assumingMemoryBound(to: wasmc_exception.self)) })
        default:
            let bits = UInt(bitPattern: element)
            return .externref(bits == 0 ? nil : ExternReference(bits: bits))
        }
    }
}

/// A global variable's cell.
public final class Global: @unchecked Sendable {
    /// The runtime's global; for an interpreted one, a cell of its kind that is not used.
    let raw: wasmc_global
    let owner: AnyObject?
    let interpreted: WasmKit.Global?

    init(raw: wasmc_global, owner: AnyObject) {
        self.raw = raw
        self.owner = owner
        self.interpreted = nil
    }

    init(interpreted: WasmKit.Global, kind type: CompiledModule.ExternType, owner: AnyObject) {
        raw = wasmc_global_new((type.valueKind ?? .i32).rawValue, type.isMutable ? 1 : 0, wasmc_value())
        self.owner = owner
        self.interpreted = interpreted
    }

    public init(value: Value, mutable: Bool) {
        var initial = wasmc_value()
        value.store(to: &initial)
        raw = wasmc_global_new(value.kind.rawValue, mutable ? 1 : 0, initial)
        owner = nil
        interpreted = nil
    }

    deinit {
        if owner == nil || interpreted != nil { wasmc_global_release(raw) }
    }

    public var kind: ValueKind { ValueKind(rawValue: raw.kind)! }
    public var isMutable: Bool { raw.mutable_ != 0 }

    public var value: Value {
        if let interpreted { return (try? Value(interpreted.value)) ?? .funcref(nil) }
        return Value.load(kind, from: raw.cell)
    }

    /// The global's type where its kind cannot say it (typed function references), as the
    /// runtime keys it: `(ref null? HEAP)`.
    public var typeKey: String? { raw.type_key.map { String(cString: $0) } }

    public func set(_ value: Value) throws(WasmcError) {
        guard isMutable else { throw WasmcError(.link, "global is immutable") }
        guard value.kind == kind else { throw WasmcError(.link, "global holds \(kind), not \(value.kind)") }
        if let key = typeKey {
            // What wasm code relies on: no null in a non-null global, and a function of the
            // global's type in a typed one (which the host cannot name, so only null goes there).
            let nullable = key.hasPrefix("(ref null ")
            let heap = key.dropFirst(nullable ? 10 : 5).dropLast()
            switch value {
            case .funcref(nil), .externref(nil), .exnref(nil):
                guard nullable else { throw WasmcError(.link, "global of type \(key) cannot hold null") }
            default:
                guard ["func", "extern", "exn"].contains(heap) else {
                    throw WasmcError(.link, "global of type \(key): the host can only store null in it")
                }
            }
        }
        if let interpreted {
            do {
                try interpreted.assign(try value.interpreterValue())
            } catch {
                throw WasmcError(.link, "the interpreter refused the value: \(error)")
            }
            return
        }
        value.store(to: raw.cell)
    }
}
