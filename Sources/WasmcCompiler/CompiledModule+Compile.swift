import Foundation
@_exported import Wasmc
@_exported import WasmcBackend
import WasmcModule

/// Compiling wasm bytes into a module loaded in this process: the `WasmcCompiler` product,
/// which the runtime-only `Wasmc` product leaves out (it links LLVM).
extension CompiledModule {
    /// Compiles wasm bytes (to a temporary .so that is removed once loaded) and loads the result.
    /// With a `cache` (`CompileCache.standard(environment:)` for the user's), an unchanged module
    /// compiled with the same options before is loaded from there instead, and a new compile is
    /// stored there.
    ///
    /// `linking`: modules linked into this one at compile time, each by the name its importers
    /// import it by (as `wasmc compile --link NAME=FILE`): their calls across modules are direct.
    public convenience init(
        wasm: [UInt8], linking links: [(name: String, wasm: [UInt8])] = [], options: CompileOptions = CompileOptions(),
        cache: CompileCache? = nil
    ) throws(WasmcError) {
        let key = cache.flatMap { _ in try? CompileCache.key(wasm: wasm, linking: links, options: options) }
        if let cache, let key, let path = cache.lookup(key) {
            if let raw = try? Self.load(path) {
                self.init(raw: raw, isFromCache: true)
                return
            }
            cache.remove(key)  // sound bytes the loader refuses: rebuilt below
        }
        let raw = try Self.withTemporary(wasm, linking: links, options: options) { path throws(WasmcError) in
            let raw = try Self.load(path)
            if let cache, let key { cache.store(path, key: key) }
            return raw
        }
        self.init(raw: raw, isFromCache: false)
    }

    /// Compiles to a temporary .so, runs `body` with its path and removes it. The temporary path
    /// means nothing to the caller: `body`'s errors lose the runtime's "path: " prefix.
    private static func withTemporary<R>(
        _ wasm: [UInt8], linking links: [(name: String, wasm: [UInt8])], options: CompileOptions,
        _ body: (String) throws(WasmcError) -> R
    ) throws(WasmcError) -> R {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("wasmc-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).so").path
        do {
            let linkInputs = links.map { Compiler.LinkInput(name: $0.name, input: ModuleInput(bytes: $0.wasm)) }
            try Compiler(options: options).compile(ModuleInput(bytes: wasm), linking: linkInputs, to: path)
        } catch {
            if case .link = error { throw WasmcError(.link, error.description) }
            throw WasmcError(.compile, error.description)
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            return try body(path)
        } catch {
            let prefix = path + ": "
            throw error.message.hasPrefix(prefix) ? WasmcError(error.kind, String(error.message.dropFirst(prefix.count))) : error
        }
    }

    /// Compiles wasm bytes to a .so as `init(wasm:linking:options:)` does, and loads it with
    /// `engine` (`CompiledModule.load(path:engine:)`): `.interp` runs the wasm the .so carries in
    /// the interpreter, with the .so's metadata (how `wasmc-spec-test --engine interp` checks the
    /// interpreter path).
    public static func compiled(
        wasm: [UInt8], linking links: [(name: String, wasm: [UInt8])] = [], options: CompileOptions = CompileOptions(),
        engine: Engine
    ) throws(WasmcError) -> CompiledModule {
        guard engine == .interp else { return try CompiledModule(wasm: wasm, linking: links, options: options) }
        return try withTemporary(wasm, linking: links, options: options) { path throws(WasmcError) in
            try CompiledModule.load(path: path, engine: .interp)
        }
    }
}
