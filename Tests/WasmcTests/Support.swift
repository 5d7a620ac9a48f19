import Foundation
import Wasmc
import WasmcBackend
import WAT

/// Compiles a text module with wasmc and instantiates it in a fresh store.
func instantiate(
    _ text: String, options: CompileOptions = CompileOptions(), store: Store = Store(),
    imports: [String: [String: Extern]] = [:]
) throws -> Instance {
    let module = try CompiledModule(wasm: try wat2wasm(text), options: options)
    return try Instance(module: module, store: store) { imports[$0.module]?[$0.name] }
}

/// The trap a call ends with, or nil when it returns.
func trapOf(_ body: () throws -> Any) -> Trap? {
    do {
        _ = try body()
        return nil
    } catch let trap as Trap {
        return trap
    } catch {
        return nil
    }
}

/// Runs `body` with a fresh temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wasmc-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
