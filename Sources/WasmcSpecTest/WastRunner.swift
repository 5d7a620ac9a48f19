import Foundation
import Wasmc
import WasmcBackend
import WasmParser

import WAT

/// The command categories counted, named as the spec suite's README names them.
enum Category: String, CaseIterable, Codable {
    case module
    case register
    case action
    case assertReturn = "assert_return"
    case assertTrap = "assert_trap"
    case assertExhaustion = "assert_exhaustion"
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

/// Runs the commands of one .wast script against wasmc-compiled modules.
final class WastRunner {
    let path: String
    let options: CompileOptions
    var result: FileResult
    let store = Store()
    let spectest: SpectestModule
    /// Instances by `$name`, and the most recent one.
    var named: [String: Instance] = [:]
    var current: Instance?
    /// Instances registered under a module name for imports, keyed by the name's UTF-8 bytes:
    /// wasm names are byte strings, and Swift `String` equality would merge canonically equivalent
    /// ones ("\u{C5}" and "A\u{30A}").
    var registered: [[UInt8]: Instance] = [:]
    var nanLanes = NaNLaneKinds(text: "")

    init(path: String, options: CompileOptions) throws {
        self.path = path
        self.options = options
        self.result = FileResult(file: (path as NSString).lastPathComponent)
        self.spectest = try SpectestModule()
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
        return result
    }

    // MARK: Directives

    func execute(_ directive: WASTDirective, line: Int) {
        switch directive {
        case .module(let module):
            guard let bytes = binary(of: module.source) else {
                result.record(.module, false, line, "module text could not be encoded")
                return
            }
            do {
                let instance = try instantiate(bytes)
                current = instance
                if let id = module.id { named[id] = instance }
                result.record(.module, true, line, "")
            } catch {
                result.record(.module, false, line, "\(error)")
            }
        case .register(let name, let moduleId):
            if let instance = moduleId.flatMap({ named[$0] }) ?? current {
                registered[Array(name.utf8)] = instance
                result.record(.register, true, line, "")
            } else {
                result.record(.register, false, line, "no module to register")
            }
        case .invoke(let invoke):
            do {
                _ = try perform(invoke)
                result.record(.action, true, line, "")
            } catch {
                result.record(.action, false, line, "\(invoke.name): \(error)")
            }
        case .assertReturn(let execute, let expected):
            do {
                let values = try perform(execute)
                nanKinds = expected.contains(where: Self.hasNaNLanes) ? nanLanes.expectedLanes(line: line) : []
                let ok = values.count == expected.count && zip(values, expected).allSatisfy(matches)
                result.record(.assertReturn, ok, line, "\(describe(execute)) returned \(values), expected \(expected)")
            } catch {
                result.record(.assertReturn, false, line, "\(describe(execute)): \(error)")
            }
        case .assertTrap(let execute, let message):
            if case .wat(let wat) = execute {
                // A module whose instantiation traps.
                do {
                    _ = try instantiate(try wat.encode())
                    result.record(.assertUninstantiable, false, line, "instantiated, expected trap \"\(message)\"")
                } catch let error as WasmcError {
                    if case .trap(let trap) = error.kind {
                        result.record(.assertUninstantiable, trapMatches(trap, message), line, "trapped with \"\(trap.message)\", expected \"\(message)\"")
                    } else {
                        result.record(.assertUninstantiable, false, line, "\(error), expected trap \"\(message)\"")
                    }
                } catch {
                    result.record(.assertUninstantiable, false, line, "\(error)")
                }
                return
            }
            expectTrap(.assertTrap, execute, message, line: line)
        case .assertExhaustion(let call, let message):
            expectTrap(.assertExhaustion, .invoke(call), message, line: line)
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
                _ = try instantiate(try wat.encode())
                result.record(.assertUnlinkable, false, line, "linked, expected \"\(message)\"")
            } catch let error as WasmcError {
                if case .link = error.kind {
                    result.record(.assertUnlinkable, true, line, "")
                } else {
                    result.record(.assertUnlinkable, false, line, "\(error), expected link error \"\(message)\"")
                }
            } catch {
                result.record(.assertUnlinkable, false, line, "\(error)")
            }
        case .moduleInstance, .assertException, .assertFuel, .assertOutOfFuel:
            result.record(.module, false, line, "directive outside WebAssembly 2.0: \(directive)")
        }
    }

    func expectTrap(_ category: Category, _ execute: WASTExecute, _ message: String, line: Int) {
        do {
            let values = try perform(execute)
            result.record(category, false, line, "\(describe(execute)) returned \(values), expected trap \"\(message)\"")
        } catch let trap as Trap {
            result.record(category, trapMatches(trap, message), line, "\(describe(execute)) trapped with \"\(trap.message)\", expected \"\(message)\"")
        } catch {
            result.record(category, false, line, "\(describe(execute)): \(error), expected trap \"\(message)\"")
        }
    }

    func expectRejected(_ category: Category, _ bytes: [UInt8], _ message: String, line: Int) {
        do {
            _ = try Compiler.check(bytes)
            result.record(category, false, line, "module accepted, expected \"\(message)\"")
        } catch {
            result.record(category, true, line, "")
        }
    }

    /// The reference interpreter's messages may carry more detail than ours ("uninitialized
    /// element 2"); the trap kind must be the same.
    func trapMatches(_ trap: Trap, _ expected: String) -> Bool {
        expected.hasPrefix(trap.message) || trap.message.hasPrefix(expected)
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

    func instantiate(_ bytes: [UInt8]) throws -> Instance {
        let module = try CompiledModule(wasm: bytes, options: options)
        return try Instance(module: module, store: store) { entry in
            if entry.module == "spectest" { return self.spectest.export(entry.name) }
            return self.registered[Array(entry.module.utf8)]?.export(entry.name)
        }
    }

    // MARK: Actions

    func perform(_ execute: WASTExecute) throws -> [Wasmc.Value] {
        switch execute {
        case .invoke(let invoke):
            return try perform(invoke)
        case .get(let module, let name):
            guard let instance = module.flatMap({ named[$0] }) ?? current else { throw WasmcError(.link, "no module") }
            guard let global = instance.global(name) else { throw WasmcError(.link, "no global \(name)") }
            return [global.value]
        case .wat(let wat):
            current = try instantiate(try wat.encode())
            return []
        }
    }

    func perform(_ invoke: WASTInvoke) throws -> [Wasmc.Value] {
        guard let instance = invoke.module.flatMap({ named[$0] }) ?? current else {
            throw WasmcError(.link, "no module instantiated")
        }
        return try instance.call(invoke.name, invoke.args.map(argument))
    }

    func describe(_ execute: WASTExecute) -> String {
        switch execute {
        case .invoke(let invoke): return "\(invoke.name)(\(invoke.args.map(argument).map(\.description).joined(separator: ", ")))"
        case .get(_, let name): return "get \(name)"
        case .wat: return "module"
        }
    }

    // MARK: Values

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

    static func hasNaNLanes(_ expected: WASTExpectValue) -> Bool {
        if case .v128Pattern(let pattern) = expected { return pattern.nanLaneMask != 0 }
        return false
    }

    /// Lane kinds of the current assertion's float v128 expectations not yet matched.
    var nanKinds: [[NaNKind?]] = []

    func matches(_ value: Wasmc.Value, _ expected: WASTExpectValue) -> Bool {
        switch (value, expected) {
        case (.i32(let v), .i32(let e)): return UInt32(bitPattern: v) == e
        case (.i64(let v), .i64(let e)): return UInt64(bitPattern: v) == e
        case (.f32(let v), .f32(let e)): return v.bitPattern == e
        case (.f64(let v), .f64(let e)): return v.bitPattern == e
        case (.f32(let v), .f32CanonicalNaN): return v.bitPattern & 0x7fff_ffff == 0x7fc0_0000
        case (.f32(let v), .f32ArithmeticNaN): return v.bitPattern & 0x7fc0_0000 == 0x7fc0_0000
        case (.f64(let v), .f64CanonicalNaN): return v.bitPattern & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000
        case (.f64(let v), .f64ArithmeticNaN): return v.bitPattern & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000
        case (.v128(let v), .v128(let e)): return v.bytes == e.bytes
        case (.v128(let v), .v128Pattern(let pattern)):
            return SIMDExpectation.matches(v.bytes, pattern, kinds: nanKinds.isEmpty ? [] : nanKinds.removeFirst())
        case (.funcref(let f), .refNull): return f == nil
        case (.externref(let e), .refNull): return e == nil
        case (.funcref(let f), .refFunc): return f != nil
        case (.externref(let e), .refExtern(let expected)):
            guard let e else { return false }
            return expected.map { Self.externReference($0) == e } ?? true
        case (_, .either(let options)): return options.contains { matches(value, $0) }
        default: return false
        }
    }
}

/// Which NaNs a float lane of an expected v128 accepts.
enum NaNKind {
    /// Only the canonical NaN (quiet bit alone in the payload), of either sign.
    case canonical
    /// Any NaN with the quiet bit set.
    case arithmetic
}

/// v128 results with NaN lanes: float lanes whose bit in `nanLaneMask` is set accept the NaNs of
/// their `NaNKind`; other lanes compare bit for bit.
enum SIMDExpectation {
    static func matches(_ bytes: [UInt8], _ pattern: V128Expectation, kinds: [NaNKind?]) -> Bool {
        let laneSize: Int
        switch pattern.shape {
        case .f32x4: laneSize = 4
        case .f64x2: laneSize = 8
        case nil: return bytes == pattern.bytes
        }
        for lane in 0..<(16 / laneSize) {
            let range = (lane * laneSize)..<((lane + 1) * laneSize)
            if pattern.nanLaneMask & (1 << lane) != 0 {
                var bits: UInt64 = 0
                for (i, byte) in bytes[range].enumerated() { bits |= UInt64(byte) << (8 * UInt64(i)) }
                let (quietNaN, magnitude): (UInt64, UInt64) = laneSize == 4
                    ? (0x7fc0_0000, 0x7fff_ffff) : (0x7ff8_0000_0000_0000, 0x7fff_ffff_ffff_ffff)
                let ok = switch lane < kinds.count ? kinds[lane] : nil {
                case .canonical: bits & magnitude == quietNaN
                // The kind is always known for a NaN lane; if the script text could not be
                // read, the weaker (arithmetic) rule applies.
                case .arithmetic, nil: bits & quietNaN == quietNaN
                }
                if !ok { return false }
            } else if Array(bytes[range]) != Array(pattern.bytes[range]) {
                return false
            }
        }
        return true
    }
}

/// WasmKit's WAT parser reads both `nan:canonical` and `nan:arithmetic` lanes of a
/// `(v128.const f32x4 ...)` expectation into one NaN mask. This recovers the kind of each lane
/// from the script text of the assertion.
struct NaNLaneKinds {
    private let bytes: [UInt8]
    private var lineStarts: [Int] = [0]

    init(text: String) {
        bytes = Array(text.utf8)
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { lineStarts.append(i + 1) }
    }

    /// For the first assert_return starting on `line` (1-based): the lane kinds of each float
    /// v128.const among its expected results, in order.
    func expectedLanes(line: Int) -> [[NaNKind?]] {
        guard line >= 1, line <= lineStarts.count else { return [] }
        let tokens = self.tokens(from: lineStarts[line - 1])
        guard let start = tokens.indices.first(where: { tokens[$0] == "(" && $0 + 1 < tokens.count && tokens[$0 + 1] == "assert_return" })
        else { return [] }
        // Skip the action, the assertion's first form.
        var i = start + 2
        var depth = 0
        repeat {
            if tokens[i] == "(" { depth += 1 } else if tokens[i] == ")" { depth -= 1 }
            i += 1
        } while depth > 0 && i < tokens.count
        var result: [[NaNKind?]] = []
        depth = 1
        while i + 2 < tokens.count, depth > 0 {
            if tokens[i] == "(" && tokens[i + 1] == "v128.const" && (tokens[i + 2] == "f32x4" || tokens[i + 2] == "f64x2") {
                let count = tokens[i + 2] == "f32x4" ? 4 : 2
                let lanes = tokens[(i + 3)..<min(i + 3 + count, tokens.count)]
                result.append(lanes.map { $0 == "nan:canonical" ? .canonical : $0 == "nan:arithmetic" ? .arithmetic : nil })
                i += 3 + count
                continue
            }
            if tokens[i] == "(" { depth += 1 } else if tokens[i] == ")" { depth -= 1 }
            i += 1
        }
        return result
    }

    /// Parentheses and atoms from `offset` to the end of the form that starts there, skipping
    /// comments and strings.
    private func tokens(from offset: Int) -> [String] {
        var tokens: [String] = []
        var i = offset
        var depth = 0
        func byte(_ j: Int) -> UInt8 { j < bytes.count ? bytes[j] : 0 }
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: ";") && byte(i + 1) == UInt8(ascii: ";") {
                while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            } else if c == UInt8(ascii: "(") && byte(i + 1) == UInt8(ascii: ";") {
                i += 2
                while i < bytes.count && !(bytes[i] == UInt8(ascii: ";") && byte(i + 1) == UInt8(ascii: ")")) { i += 1 }
                i += 2
            } else if c == UInt8(ascii: "\"") {
                i += 1
                while i < bytes.count && bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
                tokens.append("\"")
            } else if c == UInt8(ascii: "(") || c == UInt8(ascii: ")") {
                tokens.append(c == UInt8(ascii: "(") ? "(" : ")")
                depth += c == UInt8(ascii: "(") ? 1 : -1
                i += 1
                // Stop after the first complete top-level form that contains an assert_return.
                if depth == 0 && tokens.contains("assert_return") { break }
            } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                i += 1
            } else {
                let start = i
                while i < bytes.count, ![UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "("), UInt8(ascii: ")")].contains(bytes[i]) {
                    i += 1
                }
                tokens.append(String(decoding: bytes[start..<i], as: UTF8.self))
            }
        }
        return tokens
    }
}
