import WasmcBackend
import WasmcModule

/// `--link-registered`: a module that imports from registered modules is compiled with them
/// linked in (`wasmc compile --link NAME=FILE`), instead of importing from their instances at run
/// time. Tracks the wasm of each instance, as the engine instantiates and registers them, and
/// tells the modules to link into an importer: those it imports from, directly or through
/// another registered module.
///
/// Linked in, a registered module is a new instance inside the importer's: state that the
/// script expects to be shared with the registered instance (a memory, table or global written
/// through one and read through the other) is not, and the registered module's start function
/// runs again. Tests/spec-baseline-linked.txt lists the commands this changes.
struct CompileTimeLinks {
    let features: WasmFeatures
    /// The wasm of the instances by `$name`, and of the most recent one.
    private var named: [String: [UInt8]] = [:]
    private var current: [UInt8]?
    /// The wasm of the modules registered under a name (its UTF-8 bytes, as wasm compares names).
    private var registered: [[UInt8]: [UInt8]] = [:]

    init(features: WasmFeatures) {
        self.features = features
    }

    /// `wasm` was instantiated, as `$id` if given.
    mutating func instantiated(_ wasm: [UInt8], id: String?) {
        current = wasm
        if let id { named[id] = wasm }
    }

    /// The instance `$id` (the current one without an id) was registered under `name`.
    mutating func register(_ name: [UInt8], module id: String?) {
        if let wasm = id.flatMap({ named[$0] }) ?? current { registered[name] = wasm }
    }

    /// The registered modules `wasm` imports from, directly or not, by the name it imports
    /// them by. A module the runner cannot decode links nothing: compiling it reports why.
    func links(for wasm: [UInt8]) -> [(name: String, wasm: [UInt8])] {
        var links: [(name: String, wasm: [UInt8])] = []
        var seen = Set<[UInt8]>()
        var pending = [wasm]
        while let next = pending.popLast() {
            guard let module = try? Compiler.check(next, features: features) else { continue }
            for entry in module.imports {
                let name = Array(entry.module.utf8)
                guard let dependency = registered[name], seen.insert(name).inserted else { continue }
                links.append((entry.module, dependency))
                pending.append(dependency)
            }
        }
        return links
    }
}
