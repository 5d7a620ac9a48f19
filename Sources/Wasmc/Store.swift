import WasmKit
import WasmcRuntime

/// The context instances live and run in. A store and everything in it is used by one thread at a
/// time; use one store per thread for parallel work.
public final class Store: @unchecked Sendable {
    let raw: UnsafeMutablePointer<wasmc_store>
    /// The interpreter's store for interpreted instances (Interpreter.swift), made when needed.
    var interpreter: WasmKit.Store?
    /// The interpreter's copies of host-created memories, tables and globals (`mirror(of:)`), by
    /// the objects', which `mirrored` keeps alive so that their identifiers stay theirs.
    var mirrors: [ObjectIdentifier: Any] = [:]
    var mirrored: [AnyObject] = []

    public init() {
        raw = wasmc_store_new()
    }

    deinit { wasmc_store_delete(raw) }
}
