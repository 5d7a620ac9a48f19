import Foundation
import Wasmc
import WasmcBackend
import WasmcModule

/// Runs a script converted to JSON (`ConvertedScript`): the reader for WebAssembly 3.0 scripts,
/// which WasmKit's text parser cannot read. What the host decides alone (decoding, validation)
/// is checked here, the rest goes to the engine as `SpecCommand`s, as `WastRunner` does.
///
/// Commands that need the GC proposal, which wasmc does not implement, are skipped and counted
/// by reason: a module wasmc refuses as "unsupported: garbage collection", every command on such
/// a module, and commands whose values have GC types.
final class JSONScriptRunner {
    let path: String
    let engine: SpecEngine
    let features: WasmFeatures
    var result: FileResult
    /// Definitions (`module definition`) by name: compiled when instantiated.
    var definitions: [String: [UInt8]] = [:]
    /// Modules that were skipped because they need GC, by name; `nil` stands for the current one.
    var skippedModules: Set<String?> = []

    static let needsGC = "needs garbage collection (not implemented)"

    init(path: String, engine: SpecEngine, features: WasmFeatures) {
        self.path = path
        self.engine = engine
        self.features = features
        self.result = FileResult(file: (path as NSString).lastPathComponent)
    }

    func run() throws -> FileResult {
        let script = try ConvertedScript(converting: path)
        for command in script.commands {
            do {
                try execute(command, script)
            } catch {
                result.record(category(of: command.type), false, command.line, "\(error)")
            }
        }
        engine.finish(into: &result)
        return result
    }

    func category(of type: String) -> Category {
        switch type {
        case "module_definition", "module_instance": return .module
        default: return Category(rawValue: type) ?? .module
        }
    }

    func execute(_ command: JSONCommand, _ script: ConvertedScript) throws {
        let line = command.line
        switch command.type {
        case "module":
            let bytes = try script.module(try file(of: command))
            if skipIfNeedsGC(bytes, moduleName: command.name) { return }
            skippedModules.remove(nil)
            if let name = command.name { skippedModules.remove(name) }
            engine.run(.instantiate(wasm: bytes, id: command.name, category: .module, expect: .success), line: line, into: &result)
        case "module_definition":
            let bytes = try script.module(try file(of: command))
            if skipIfNeedsGC(bytes, moduleName: command.name) { return }
            if let name = command.name { definitions[name] = bytes }
            expectAccepted(bytes, line: line)
        case "module_instance":
            guard let definition = command.module.flatMap({ definitions[$0] }) else {
                if skippedModules.contains(command.module) {
                    skip(Self.needsGC, instance: command.instance)
                } else {
                    result.record(.module, false, line, "no module definition \(command.module ?? "-")")
                }
                return
            }
            skippedModules.remove(nil)
            engine.run(.instantiate(wasm: definition, id: command.instance, category: .module, expect: .success), line: line, into: &result)
        case "register":
            if skippedModules.contains(command.name) {
                skip(Self.needsGC)
                return
            }
            engine.run(.register(name: Array((command.as ?? "").utf8), module: command.name), line: line, into: &result)
        case "action":
            try perform(command, .action, .anyResults)
        case "assert_return":
            if (command.expected ?? []).contains(where: \.needsGC) {
                skip(Self.needsGC)
                return
            }
            try perform(command, .assertReturn, .results(try (command.expected ?? []).map { try $0.expectation() }))
        case "assert_trap":
            try perform(command, .assertTrap, .trap(command.text ?? ""))
        case "assert_exhaustion":
            try perform(command, .assertExhaustion, .trap(command.text ?? ""))
        case "assert_exception":
            try perform(command, .assertException, .exception)
        case "assert_invalid", "assert_malformed":
            let category: Category = command.type == "assert_invalid" ? .assertInvalid : .assertMalformed
            if category == .assertMalformed, command.moduleType == "text" {
                result.textMalformed += 1
                return
            }
            let bytes = try script.module(try file(of: command))
            expectRejected(category, bytes, command.text ?? "", line: line)
        case "assert_malformed_custom":
            // Text-format annotations: a text parser's concern, like the text assert_malformed.
            result.textMalformed += 1
        case "assert_invalid_custom":
            skip("checks a custom section's contents (branch hints), which wasmc ignores as the spec allows")
        case "assert_unlinkable", "assert_uninstantiable":
            let category: Category = command.type == "assert_unlinkable" ? .assertUnlinkable : .assertUninstantiable
            let bytes = try script.module(try file(of: command))
            if skipIfNeedsGC(bytes, moduleName: nil, keepCurrent: true) { return }
            let outcome: InstantiationOutcome = category == .assertUnlinkable ? .linkError(command.text ?? "") : .trap(command.text ?? "")
            engine.run(.instantiate(wasm: bytes, id: nil, category: category, expect: outcome), line: line, into: &result)
        default:
            result.record(.module, false, line, "unknown command type \(command.type)")
        }
    }

    func file(of command: JSONCommand) throws -> String {
        guard let file = command.binaryFile else { throw ConversionError("\(command.type) without a module file") }
        return file
    }

    func perform(_ command: JSONCommand, _ category: Category, _ expect: ActionOutcome) throws {
        guard let action = command.action else { throw ConversionError("\(command.type) without an action") }
        if skippedModules.contains(action.module) || (action.args ?? []).contains(where: \.needsGC) {
            skip(Self.needsGC)
            return
        }
        let specAction: SpecAction
        switch action.type {
        case "invoke":
            specAction = .invoke(module: action.module, name: action.field, arguments: try (action.args ?? []).map { try $0.argument() })
        case "get":
            specAction = .get(module: action.module, name: action.field)
        default:
            throw ConversionError("unknown action type \(action.type)")
        }
        engine.run(.perform(specAction, category: category, expect: expect), line: command.line, into: &result)
    }

    /// Whether `bytes` is a module wasmc refuses for needing GC: then the command is skipped, and
    /// so is every later command on the module (the current one, unless `keepCurrent`).
    func skipIfNeedsGC(_ bytes: [UInt8], moduleName: String?, keepCurrent: Bool = false) -> Bool {
        guard Self.refusedForGC(bytes, features) else { return false }
        skip(Self.needsGC)
        if !keepCurrent { skippedModules.insert(nil) }
        if let moduleName { skippedModules.insert(moduleName) }
        return true
    }

    /// Counts a command not run, by `reason`; a skipped `instance` is skipped from then on too.
    func skip(_ reason: String, instance: String? = nil) {
        result.skipped[reason, default: 0] += 1
        if let instance { skippedModules.insert(instance) }
    }

    static func refusedForGC(_ bytes: [UInt8], _ features: WasmFeatures) -> Bool {
        do {
            _ = try Compiler.check(bytes, features: features)
            return false
        } catch {
            if case .module(let error) = error, error.kind == .unsupported, error.proposal == .gc { return true }
            return false
        }
    }

    func expectAccepted(_ bytes: [UInt8], line: Int) {
        do {
            _ = try Compiler.check(bytes, features: features)
            result.record(.module, true, line, "")
        } catch {
            result.record(.module, false, line, "\(error)")
        }
    }

    func expectRejected(_ category: Category, _ bytes: [UInt8], _ message: String, line: Int) {
        do {
            _ = try Compiler.check(bytes, features: features)
            result.record(category, false, line, "module accepted, expected \"\(message)\"")
        } catch {
            if case .module(let error) = error, error.kind == .unsupported, features != .wasm2 {
                // Refused for a proposal wasmc lacks, not for the reason the script tests (a 2.0
                // script's modules may not use any later proposal).
                if error.proposal == .gc {
                    skip(Self.needsGC)
                } else {
                    result.record(category, false, line, "\(error), expected \"\(message)\"")
                }
                return
            }
            result.record(category, true, line, "")
        }
    }
}
