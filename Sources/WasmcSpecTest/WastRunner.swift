import Foundation
import Wasmc
import WasmcBackend
import WasmParser
import WasmcModule

import WAT

/// The command categories counted, named as the spec suite's README names them.
enum Category: String, CaseIterable, Codable {
    case module
    case register
    case action
    case assertReturn = "assert_return"
    case assertTrap = "assert_trap"
    case assertExhaustion = "assert_exhaustion"
    case assertException = "assert_exception"
    case assertInvalid = "assert_invalid"
    case assertMalformed = "assert_malformed"
    case assertUnlinkable = "assert_unlinkable"
    case assertUninstantiable = "assert_uninstantiable"
}

/// What running one .wast file produced.
struct FileResult: Codable {
    var file: String
    var passed: [String: Int] = [:]
    var failed: [String: Int] = [:]
    /// Text-format assert_malformed commands: they test a text parser, not wasmc.
    var textMalformed = 0
    /// Commands not run, by the reason (e.g. the GC proposal, which wasmc does not implement).
    var skipped: [String: Int] = [:]
    var failures: [String] = []

    mutating func record(_ category: Category, _ ok: Bool, _ line: Int, _ why: @autoclosure () -> String) {
        if ok {
            passed[category.rawValue, default: 0] += 1
        } else {
            failed[category.rawValue, default: 0] += 1
            failures.append("\(file):\(line): \(category.rawValue): \(why())")
        }
    }
}

/// Reads one .wast script and runs it: what the host decides alone (parsing, decoding,
/// validation) here, the rest as `SpecCommand`s through an engine.
final class WastRunner {
    let path: String
    let engine: SpecEngine
    let features: WasmFeatures
    var result: FileResult
    var nanLanes = NaNLaneKinds(text: "")

    init(path: String, engine: SpecEngine, features: WasmFeatures) {
        self.path = path
        self.engine = engine
        self.features = features
        self.result = FileResult(file: (path as NSString).lastPathComponent)
    }

    func run() throws -> FileResult {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        nanLanes = NaNLaneKinds(text: text)
        var wast = try parseWAST(text, features: [.referenceTypes, .simd])
        while let (directive, location) = wast.nextDirectiveResult() {
            let line = location.computeLineAndColumn().line
            switch directive {
            case .success(let directive):
                execute(directive, line: line)
            case .failure(let error):
                result.record(.module, false, line, "script could not be parsed: \(error.error)")
            }
        }
        engine.finish(into: &result)
        return result
    }

    func send(_ command: SpecCommand, line: Int) {
        engine.run(command, line: line, into: &result)
    }

    // MARK: Directives

    func execute(_ directive: WASTDirective, line: Int) {
        switch directive {
        case .module(let module):
            guard let bytes = binary(of: module.source) else {
                result.record(.module, false, line, "module text could not be encoded")
                return
            }
            send(.instantiate(wasm: bytes, id: module.id, category: .module, expect: .success), line: line)
        case .register(let name, let moduleId):
            send(.register(name: Array(name.utf8), module: moduleId), line: line)
        case .invoke(let invoke):
            send(.perform(action(invoke), category: .action, expect: .anyResults), line: line)
        case .assertReturn(let execute, let expected):
            var kinds = expected.contains(where: ExpectedValue.hasNaNLanes) ? nanLanes.expectedLanes(line: line) : []
            let expectations = expected.map { ExpectedValue($0, nanLanes: &kinds) }
            perform(execute, category: .assertReturn, expect: .results(expectations), line: line)
        case .assertTrap(let execute, let message):
            if case .wat(let wat) = execute {
                // A module whose instantiation traps.
                do {
                    send(.instantiate(wasm: try wat.encode(), id: nil, category: .assertUninstantiable, expect: .trap(message)), line: line)
                } catch {
                    result.record(.assertUninstantiable, false, line, "\(error)")
                }
                return
            }
            perform(execute, category: .assertTrap, expect: .trap(message), line: line)
        case .assertExhaustion(let call, let message):
            send(.perform(action(call), category: .assertExhaustion, expect: .trap(message)), line: line)
        case .assertInvalid(let module, let message):
            guard let bytes = binary(of: module.source) else {
                // The text could not even be encoded: the WAT encoder checks some rules itself.
                result.record(.assertInvalid, true, line, "")
                return
            }
            expectRejected(.assertInvalid, bytes, message, line: line)
        case .assertMalformed(let module, let message):
            guard case .binary(let bytes) = module.source else {
                result.textMalformed += 1
                return
            }
            expectRejected(.assertMalformed, bytes, message, line: line)
        case .assertUnlinkable(let wat, let message):
            do {
                send(.instantiate(wasm: try wat.encode(), id: nil, category: .assertUnlinkable, expect: .linkError(message)), line: line)
            } catch {
                result.record(.assertUnlinkable, false, line, "\(error)")
            }
        case .moduleInstance, .assertException, .assertFuel, .assertOutOfFuel:
            result.record(.module, false, line, "directive outside WebAssembly 2.0: \(directive)")
        }
    }

    /// An assertion's action; `(module ...)` as the action instantiates it as the current module.
    func perform(_ execute: WASTExecute, category: Category, expect: ActionOutcome, line: Int) {
        switch execute {
        case .invoke(let invoke):
            send(.perform(action(invoke), category: category, expect: expect), line: line)
        case .get(let module, let name):
            send(.perform(.get(module: module, name: name), category: category, expect: expect), line: line)
        case .wat(let wat):
            if case .results(let expected) = expect, !expected.isEmpty {
                result.record(category, false, line, "a module instantiation returns nothing, expected \(expected)")
                return
            }
            do {
                let outcome: InstantiationOutcome = if case .trap(let message) = expect { .trap(message) } else { .success }
                send(.instantiate(wasm: try wat.encode(), id: nil, category: category, expect: outcome), line: line)
            } catch {
                result.record(category, false, line, "\(error)")
            }
        }
    }

    func expectRejected(_ category: Category, _ bytes: [UInt8], _ message: String, line: Int) {
        do {
            _ = try Compiler.check(bytes, features: features)
            result.record(category, false, line, "module accepted, expected \"\(message)\"")
        } catch {
            result.record(category, true, line, "")
        }
    }

    // MARK: Modules

    func binary(of source: ModuleSource) -> [UInt8]? {
        switch source {
        case .binary(let bytes):
            return bytes
        case .text(let wat):
            return try? wat.encode()
        case .quote(let text):
            guard let wat = try? parseWAT(String(decoding: text, as: UTF8.self), features: [.referenceTypes, .simd]) else { return nil }
            return try? wat.encode()
        }
    }

    // MARK: Values

    func action(_ invoke: WASTInvoke) -> SpecAction {
        .invoke(module: invoke.module, name: invoke.name, arguments: invoke.args.map(argument))
    }

    func argument(_ value: WASTConstValue) -> Wasmc.Value {
        switch value {
        case .i32(let v): return .i32(Int32(bitPattern: v))
        case .i64(let v): return .i64(Int64(bitPattern: v))
        case .f32(let v): return .f32(Float(bitPattern: v))
        case .f64(let v): return .f64(Double(bitPattern: v))
        case .v128(let v): return .v128(V128(bytes: v.bytes))
        case .refNull(let heap): return heap == .externRef ? .externref(nil) : .funcref(nil)
        case .refExtern(let v): return .externref(Self.externReference(v))
        case .refFunc, .refHost: return .funcref(nil)
        }
    }

    /// `ref.extern N` of the scripts; N can be 0, which must stay distinct from null.
    static func externReference(_ value: UInt32) -> ExternReference { ExternReference(bits: UInt(value) + 1) }
}
