import Wasmc
import WasmcCompiler
import WasmcBackend

/// Runs a script's commands in this process: each module compiled for the host, loaded and
/// instantiated through the Swift shim; with `links`, the registered modules an importer imports
/// from are linked into it at compile time.
final class LocalEngine: SpecEngine {
    let options: CompileOptions
    var links: CompileTimeLinks?
    let store = Store()
    let spectest: SpectestModule
    /// Instances by `$name`, and the most recent one.
    var named: [String: Instance] = [:]
    var current: Instance?
    /// Instances registered under a module name for imports, keyed by the name's UTF-8 bytes:
    /// wasm names are byte strings, and Swift `String` equality would merge canonically
    /// equivalent ones ("\u{C5}" and "A\u{30A}").
    var registered: [[UInt8]: Instance] = [:]

    /// How the modules run: native code, or (`--engine interp`) the interpreter on the wasm
    /// their .so carries.
    let engine: Engine

    init(options: CompileOptions, linkRegistered: Bool = false, engine: Engine = .native) throws {
        self.options = options
        self.engine = engine
        if linkRegistered { links = CompileTimeLinks(features: options.features) }
        self.spectest = try SpectestModule()
    }

    func run(_ command: SpecCommand, line: Int, into result: inout FileResult) {
        switch command {
        case .instantiate(let wasm, let id, let category, let expect):
            let outcome: Result<Instance, Error> = Result { try instantiate(wasm) }
            switch (outcome, expect) {
            case (.success(let instance), .success):
                current = instance
                if let id { named[id] = instance }
                links?.instantiated(wasm, id: id)
                result.record(category, true, line, "")
            case (.success, .trap(let message)):
                result.record(category, false, line, "instantiated, expected trap \"\(message)\"")
            case (.success, .linkError(let message)):
                result.record(category, false, line, "linked, expected \"\(message)\"")
            case (.failure(let error), .success):
                result.record(category, false, line, "\(error)")
            case (.failure(let error), .trap(let message)):
                if let error = error as? WasmcError, case .trap(let trap) = error.kind {
                    result.record(category, trapMessageMatches(trap.message, message), line, "trapped with \"\(trap.message)\", expected \"\(message)\"")
                } else {
                    result.record(category, false, line, "\(error), expected trap \"\(message)\"")
                }
            case (.failure(let error), .linkError(let message)):
                if let error = error as? WasmcError, case .link = error.kind {
                    result.record(category, true, line, "")
                } else {
                    result.record(category, false, line, "\(error), expected link error \"\(message)\"")
                }
            }
        case .register(let name, let module):
            if let instance = instance(module) {
                registered[name] = instance
                links?.register(name, module: module)
                result.record(.register, true, line, "")
            } else {
                result.record(.register, false, line, "no module to register")
            }
        case .perform(let action, let category, let expect):
            let outcome = Result { try perform(action) }
            switch (outcome, expect) {
            case (.success, .anyResults):
                result.record(category, true, line, "")
            case (.success(let values), .results(let expected)):
                let ok = values.count == expected.count && zip(expected, values).allSatisfy { $0.matches($1) }
                result.record(category, ok, line, "\(action.description) returned \(values), expected \(expected)")
            case (.success(let values), .trap(let message)):
                result.record(category, false, line, "\(action.description) returned \(values), expected trap \"\(message)\"")
            case (.success(let values), .exception):
                result.record(category, false, line, "\(action.description) returned \(values), expected an exception")
            case (.failure(let error), .trap(let message)):
                if let trap = error as? Trap {
                    result.record(category, trapMessageMatches(trap.message, message), line, "\(action.description) trapped with \"\(trap.message)\", expected \"\(message)\"")
                } else {
                    result.record(category, false, line, "\(action.description): \(error), expected trap \"\(message)\"")
                }
            case (.failure(let error), .exception):
                result.record(category, error is WasmException, line, "\(action.description): \(error), expected an exception")
            case (.failure(let error), _):
                result.record(category, false, line, "\(action.description): \(error)")
            }
        }
    }

    func finish(into result: inout FileResult) {}

    func instantiate(_ wasm: [UInt8]) throws -> Instance {
        let module = try CompiledModule.compiled(wasm: wasm, linking: links?.links(for: wasm) ?? [], options: options, engine: engine)
        return try Instance(module: module, store: store) { entry in
            if entry.module == "spectest" { return self.spectest.export(entry.name) }
            return self.registered[Array(entry.module.utf8)]?.export(entry.name)
        }
    }

    /// The instance a command names, or the current one (also when the name is unknown).
    func instance(_ id: String?) -> Instance? {
        id.flatMap { named[$0] } ?? current
    }

    func perform(_ action: SpecAction) throws -> [Wasmc.Value] {
        switch action {
        case .invoke(let module, let name, let arguments):
            guard let instance = instance(module) else { throw WasmcError(.link, "no module instantiated") }
            return try instance.call(name, arguments)
        case .get(let module, let name):
            guard let instance = instance(module) else { throw WasmcError(.link, "no module instantiated") }
            guard let global = instance.global(name) else { throw WasmcError(.link, "no global \(name)") }
            return [global.value]
        }
    }
}
