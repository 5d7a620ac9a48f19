#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it loads ICU, 2 ms and 4 MB at start-up
import Glibc
#else
import Foundation
#endif
@_exported import WasmcProfile
import WasmcRuntime

/// A compiled module loaded into this process: a wasmc .so, checked and ready to instantiate.
/// Several may be loaded side by side. The .so stays mapped while any instance of it lives.
/// This module (the `Wasmc` product) loads and runs .so files only, without LLVM or the
/// compiler; `WasmcCompiler` adds compiling wasm bytes (`CompiledModule(wasm:)`).
public final class CompiledModule: @unchecked Sendable {
    let raw: OpaquePointer
    /// Whether the module came from a compile cache rather than a compile.
    public let isFromCache: Bool
    /// For a module the interpreter runs (`load(path:engine:)`): the wasm it carries, parsed;
    /// `raw` is then the artifact opened for inspection (its metadata).
    var interpreted: InterpretedModule?
    /// Why the interpreter runs it: why no native code in the artifact could run here, or
    /// "--engine interp"; nil for native code.
    public internal(set) var fallbackReason: String?

    /// Loads a .so produced by `wasmc compile`, refusing artifacts of another ABI version. A path
    /// without "/" names a file of the current directory (as `wasmc_module_load` takes it).
    /// Its data segments are mapped from the .so, or from the data file it was compiled with
    /// (`wasmc compile --data`): `dataPath`, or beside the .so under the name it was written with.
    public convenience init(path: String, dataPath: String? = nil) throws(WasmcError) {
        self.init(raw: try Self.load(path, dataPath: dataPath), isFromCache: false)
    }

    /// Loads a .so as `init(path:dataPath:)` does, under a trust policy and/or from an
    /// encrypted artifact (`wasmc encrypt`, Documentation/artifacts.md).
    ///
    /// An encrypted file is opened with `key` into memory (a sealed memfd): its plaintext is
    /// never written to disk. Under `trust`, the (decrypted) file's signature is checked before
    /// any of its code is mapped, and it is refused (`.untrusted`) when it is unsigned, altered
    /// or signed by a key `trust` does not hold, or when its data segments are in a data file of
    /// their own, which the signature does not cover. The .so loaded is the file checked (its
    /// open descriptor); it must not be rewritten in place meanwhile. With neither, the same as
    /// `init(path:dataPath:)`.
    public convenience init(path: String, dataPath: String? = nil, trust: TrustPolicy?, key: PrivateKey? = nil) throws(WasmcError) {
        try self.init(artifact: try OpenedArtifact(path: path, trust: trust, key: key), dataPath: dataPath)
    }

    /// Loads the native code of an artifact already opened (decrypted, its signature checked).
    convenience init(artifact: OpenedArtifact, dataPath: String?) throws(WasmcError) {
        guard artifact.isChecked else {
            try self.init(path: artifact.path, dataPath: dataPath)
            return
        }
        let raw = try artifact.naming { opened throws(WasmcError) in
            if try CompiledModule(inspecting: opened).dataSegments.file != nil {
                throw WasmcError(artifact.isTrustChecked ? .untrusted : .load, "\(artifact.path): refused: its data segments are in a data file of "
                    + "their own, which its \(artifact.isEncrypted ? "encryption" : "signature") does not cover (compile it without --data)")
            }
            return try Self.load(opened, dataPath: nil)
        }
        self.init(raw: raw, isFromCache: false)
    }

    /// Runs `body` over the bytes of the open file `fd`, mapped read-only.
    package static func withMapping<R>(of fd: Int32, name: String, _ body: (UnsafeRawBufferPointer) throws(WasmcError) -> R) throws(WasmcError) -> R {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw WasmcError(.load, "cannot read \(name): \(String(cString: strerror(errno)))") }
        guard st.st_size > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let map = mmap(nil, Int(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw WasmcError(.load, "cannot map \(name): \(String(cString: strerror(errno)))")
        }
        defer { munmap(map, Int(st.st_size)) }
        return try body(UnsafeRawBufferPointer(start: map, count: Int(st.st_size)))
    }

    package init(raw: OpaquePointer, isFromCache: Bool) {
        self.raw = raw
        self.isFromCache = isFromCache
    }

    /// Opens a .so for introspection only (`wasmc_module_inspect`): its metadata is read from
    /// the file without loading it, so a .so of any architecture can be read and nothing is
    /// checked against this machine. Instantiating it throws.
    public convenience init(inspecting path: String) throws(WasmcError) {
        var error = wasmc_error()
        guard let raw = wasmc_module_inspect(path, &error) else { throw WasmcError(error) }
        self.init(raw: raw, isFromCache: false)
    }

    package static func load(_ path: String, dataPath: String? = nil) throws(WasmcError) -> OpaquePointer {
        var error = wasmc_error()
        guard let raw = wasmc_module_load_data(path, dataPath, &error) else { throw WasmcError(error) }
        return raw
    }

    deinit { wasmc_module_unload(raw) }

    /// Whether the file at `path` is a bundle (`wasmc compile --target A,B,...`), which loads
    /// as a .so does, rather than a plain module.
    public static func isBundle(path: String) -> Bool { wasmc_is_bundle(path) != 0 }

    /// The ABI version of the runtime: a .so must have been compiled for this one.
    public static var abiVersion: Int { Int(WASMC_ABI_VERSION) }

    public var targetTriple: String { String(cString: wasmc_module_target(raw)) }
    public var cpu: String { String(cString: wasmc_module_cpu(raw)) }
    public var cpuFeatures: String { String(cString: wasmc_module_cpu_features(raw)) }
    /// SHA-256 (hex) of the wasm module compiled.
    public var wasmHash: String { String(cString: wasmc_module_wasm_hash(raw)) }
    /// The architecture of the .so's ELF header ("x86_64", "aarch64", "riscv64").
    public var machine: String { String(cString: wasmc_module_machine(raw)) }
    /// The compile options recorded, as command-line options ("-O2 --bounds-checks guard").
    public var compileOptions: String { String(cString: wasmc_module_options(raw)) }
    /// Whether the code checks memory accesses itself rather than relying on guard pages.
    public var hasExplicitBoundsChecks: Bool { wasmc_module_bounds_checks(raw) == UInt32(WASMC_BOUNDS_EXPLICIT) }

    /// Where the data segments are and how large they are.
    public struct DataSegments: Sendable {
        public var count: Int
        public var bytes: UInt64
        /// The data file beside the .so that holds them (`wasmc compile --data`), or nil when
        /// they are in the .so's own section.
        public var file: String?
        /// Entries of embedded directories (roots, directories, files).
        public var embeddedEntries: Int
    }

    public var dataSegments: DataSegments {
        var count: UInt32 = 0, bytes: UInt64 = 0, entries: UInt32 = 0
        let file = String(cString: wasmc_module_data(raw, &count, &bytes, &entries))
        return DataSegments(count: Int(count), bytes: bytes, file: file.isEmpty ? nil : file, embeddedEntries: Int(entries))
    }

    /// The modules linked into this one at compile time (`wasmc compile --link NAME=FILE`):
    /// their names and the SHA-256 of their wasm.
    public var linkedModules: [(name: String, wasmHash: String)] {
        (0..<wasmc_module_linked_count(raw)).map { index in
            var hash: UnsafePointer<CChar>?
            let name = wasmc_module_linked(raw, index, &hash)!
            return (String(cString: name), String(cString: hash!))
        }
    }

    /// A function's name from the module's name section (by function index), if it has one.
    public func functionName(_ index: Int) -> String? {
        wasmc_module_function_name(raw, UInt32(index)).map { String(cString: $0) }
    }

    /// The execution counts so far of a module compiled with `CompileOptions.instrument`, of
    /// all its instances together (Documentation/profiles.md); nil for a module compiled
    /// without.
    public var profile: Profile? {
        var count: UInt32 = 0
        guard let counts = wasmc_module_profile_counts(raw, &count) else { return nil }
        var imported: UInt32 = 0
        _ = wasmc_module_function_count(raw, &imported)
        return Profile(
            wasmHash: wasmHash, linked: linkedModules.map { Profile.Linked(name: $0.name, wasmHash: $0.wasmHash) },
            importedFunctions: Int(imported),
            definedCounts: Array(UnsafeBufferPointer(start: counts, count: Int(count))))
    }

    /// The profile's text with the functions' names (`Profile.text(names:)`).
    public func profileText(_ profile: Profile) -> String {
        var names: [Int: String] = [:]
        for function in profile.counts.keys { names[function] = functionName(function) }
        return profile.text(names: names)
    }

    /// Sets the execution counts back to zero.
    public func resetProfile() {
        var count: UInt32 = 0
        guard let counts = wasmc_module_profile_counts(raw, &count) else { return }
        counts.update(repeating: 0, count: Int(count))
    }

    /// A function type of the module: parameter and result kinds.
    public struct FunctionType: Equatable, Sendable, CustomStringConvertible {
        public var parameters: [ValueKind]
        public var results: [ValueKind]

        public init(parameters: [ValueKind], results: [ValueKind]) {
            self.parameters = parameters
            self.results = results
        }

        public var description: String {
            "(\(parameters.map(\.description).joined(separator: " "))) -> (\(results.map(\.description).joined(separator: " ")))"
        }
    }

    public func type(_ index: Int) -> FunctionType {
        var params: UnsafePointer<UInt8>?
        var results: UnsafePointer<UInt8>?
        var nparams: UInt32 = 0
        var nresults: UInt32 = 0
        wasmc_module_type(raw, UInt32(index), &params, &nparams, &results, &nresults)
        func kinds(_ pointer: UnsafePointer<UInt8>?, _ count: UInt32) -> [ValueKind] {
            (0..<Int(count)).map { ValueKind(rawValue: pointer![$0])! }
        }
        return FunctionType(parameters: kinds(params, nparams), results: kinds(results, nresults))
    }

    /// The key of a type with typed references (wasmc_abi.h), which its kinds do not say all
    /// of; nil for other types.
    public func typeKey(_ index: Int) -> String? {
        wasmc_module_type_key(raw, UInt32(index)).map { String(cString: $0) }
    }

    /// The type of a function, table, memory, global or tag: an import's, or an entry's of the
    /// module's index spaces.
    public struct ExternType: Sendable, CustomStringConvertible {
        public var kind: ExternKind
        /// Functions and tags: the type (a tag's parameters are its payload), its index and its
        /// key when it has typed references.
        public var functionType: FunctionType?
        public var typeIndex: Int
        public var functionTypeKey: String?
        /// Tables and memories: the minimum and optional maximum (entries or pages), and
        /// whether their indices are 64-bit.
        public var minimum: UInt64
        public var maximum: UInt64?
        public var is64: Bool
        /// Globals: value kind and mutability; tables: the reference kind. The value type's key
        /// when the kind does not say it all (typed references).
        public var valueKind: ValueKind?
        public var valueTypeKey: String?
        public var isMutable: Bool

        /// "func (i32) -> (i32)", "table funcref 0..", "memory 1..2 pages", "global mut i64".
        public var description: String {
            let signature = functionTypeKey ?? functionType.map(\.description) ?? "?"
            let value = valueTypeKey ?? valueKind.map(\.description) ?? "?"
            let limits = (is64 ? "i64 " : "") + "\(minimum).." + (maximum.map(String.init) ?? "")
            switch kind {
            case .function: return "func \(signature)"
            case .table: return "table \(value) \(limits)"
            case .memory: return "memory \(limits) pages"
            case .global: return "global \(isMutable ? "mut " : "")\(value)"
            case .tag: return "tag \(signature)"
            }
        }
    }

    private func externType(_ info: wasmc_import_info) -> ExternType {
        let kind = ExternKind(rawValue: info.kind)!
        let hasType = kind == .function || kind == .tag
        return ExternType(
            kind: kind, functionType: hasType ? type(Int(info.type_index)) : nil, typeIndex: Int(info.type_index),
            functionTypeKey: hasType ? typeKey(Int(info.type_index)) : nil,
            minimum: info.min, maximum: info.has_max != 0 ? info.max : nil, is64: info.is64 != 0,
            valueKind: kind == .global || kind == .table ? ValueKind(rawValue: info.value_kind) : nil,
            valueTypeKey: info.type_key.map { String(cString: $0) }, isMutable: info.mutable_ != 0)
    }

    /// Entry `index` of the module's index space of `kind` (imports first).
    public func entity(_ kind: ExternKind, _ index: Int) -> ExternType {
        var info = wasmc_import_info()
        wasmc_module_entity(raw, kind.rawValue, UInt32(index), &info)
        return externType(info)
    }

    /// What an import asks for.
    public struct Import: Sendable {
        public var module: String
        public var name: String
        public var type: ExternType

        public var kind: ExternKind { type.kind }
        /// Function imports: the expected type; tag imports: the tag's type (its parameters are
        /// the payload).
        public var functionType: FunctionType? { type.functionType }
        /// Tables and memories: the minimum and optional maximum (entries or pages).
        public var minimum: UInt64 { type.minimum }
        public var maximum: UInt64? { type.maximum }
        /// Globals: value kind and mutability; tables: the reference kind.
        public var valueKind: ValueKind? { type.valueKind }
        public var isMutable: Bool { type.isMutable }
    }

    public var imports: [Import] {
        (0..<wasmc_module_import_count(raw)).map { index in
            var info = wasmc_import_info()
            wasmc_module_import(raw, index, &info)
            return Import(
                module: bytesToString(info.module, info.module_len), name: bytesToString(info.name, info.name_len),
                type: externType(info))
        }
    }

    public struct Export: Sendable {
        public var name: String
        public var kind: ExternKind
        public var index: Int
    }

    public var exports: [Export] {
        (0..<wasmc_module_export_count(raw)).map { index in
            var info = wasmc_export_info()
            wasmc_module_export(raw, index, &info)
            return Export(name: bytesToString(info.name, info.name_len), kind: ExternKind(rawValue: info.kind)!, index: Int(info.index))
        }
    }
}

/// A wasm name from the runtime: UTF-8 bytes that may contain NULs.
func bytesToString(_ pointer: UnsafePointer<CChar>, _ count: UInt32) -> String {
    String(decoding: UnsafeRawBufferPointer(start: pointer, count: Int(count)), as: UTF8.self)
}

public enum ExternKind: UInt32, Sendable, CustomStringConvertible {
    case function = 0, table = 1, memory = 2, global = 3, tag = 4

    public var description: String {
        switch self {
        case .function: return "function"
        case .table: return "table"
        case .memory: return "memory"
        case .global: return "global"
        case .tag: return "tag"
        }
    }
}
