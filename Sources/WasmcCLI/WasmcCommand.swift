// wasmc: compile WebAssembly to native shared objects, and run them.
import ArgumentParser
import Foundation
import Wasmc
import WasmcBackend
import WAT

enum OptimizationLevel: String, EnumerableFlag {
    case O0, O1, O2, O3

    static func name(for value: OptimizationLevel) -> NameSpecification {
        .customLong(value.rawValue, withSingleDash: true)
    }

    var number: Int { Int(rawValue.dropFirst())! }
}

extension CompileOptions.BoundsChecks: ExpressibleByArgument {}

struct CodegenOptions: ParsableArguments {
    @Flag(help: "Optimization level (default -O2).")
    var optimization: OptimizationLevel = .O2

    @Option(name: .customLong("bounds-checks"), help: "guard: guard pages and signals (default); explicit: compare every access.")
    var boundsChecks: CompileOptions.BoundsChecks = .guardPages

    var compileOptions: CompileOptions {
        CompileOptions(optimizationLevel: optimization.number, boundsChecks: boundsChecks)
    }
}

/// Prints a one-line error and exits with `status`.
func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("wasmc: \(message)\n".utf8))
    Foundation.exit(status)
}

@main
struct WasmcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wasmc",
        abstract: "Ahead-of-time compiler from WebAssembly to native shared objects.",
        subcommands: [Compile.self, Run.self])
}

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Compile a .wasm module to a .so.")

    @Argument(help: "The WebAssembly module: binary (.wasm) or text (.wat).")
    var input: String

    @Option(name: .shortAndLong, help: "The shared object to write.")
    var output: String

    @OptionGroup var codegen: CodegenOptions

    func run() throws {
        let bytes = readInput(input)
        do {
            try Compiler(options: codegen.compileOptions).compile(bytes, to: output)
        } catch {
            fail("\(input): \(error)", status: 1)
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an exported function of a .wasm (compiled on the fly) or a .so.",
        discussion: """
            Each result is printed on its own line: i32/i64 in signed decimal, f32/f64 as the \
            shortest decimal that reads back to the same bits (nan, nan:0xPAYLOAD, inf, -inf, -0 \
            spelled out). A trap prints "wasm trap: <reason>" on stderr and exits with status 134.
            """)

    @Argument(help: "A .wasm or .wat module (compiled on the fly), or a .so compiled by wasmc.")
    var file: String

    @Option(help: "The exported function to call.")
    var invoke: String

    @Argument(parsing: .allUnrecognized, help: "Arguments of the function, one per parameter.")
    var arguments: [String] = []

    @OptionGroup var codegen: CodegenOptions

    func run() throws {
        let instance = instantiate()
        guard let function = instance.function(invoke) else {
            fail("\(file): no exported function named \"\(invoke)\"", status: 1)
        }
        let args: [Value]
        do {
            args = try parseArguments(arguments, function.type.parameters)
        } catch {
            fail("\(error)", status: 1)
        }
        do {
            for value in try function.call(args) { print(value) }
        } catch let trap as Trap {
            trapped(trap)
        } catch {
            fail("\(error)", status: 1)
        }
    }

    private func instantiate() -> Instance {
        let result: Result<Instance, WasmcError> = Result { () throws(WasmcError) -> Instance in
            let module = file.hasSuffix(".so")
                ? try CompiledModule(path: file)
                : try CompiledModule(wasm: readInput(file), options: codegen.compileOptions)
            return try Instance(module: module, store: Store()) { _ in nil }
        }
        switch result {
        case .success(let instance):
            return instance
        case .failure(let error):
            if case .trap(let trap) = error.kind { trapped(trap) }
            fail("\(file): \(error)", status: 1)
        }
    }

    private func trapped(_ trap: Trap) -> Never {
        FileHandle.standardError.write(Data("wasm trap: \(trap.message)\n".utf8))
        Foundation.exit(134)
    }
}

/// The module's bytes: a binary module as is, a `.wat` text module encoded first.
func readInput(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        fail("cannot read \(path)", status: 1)
    }
    guard path.hasSuffix(".wat") else { return [UInt8](data) }
    do {
        return try wat2wasm(String(decoding: data, as: UTF8.self))
    } catch {
        fail("\(path): \(error)", status: 1)
    }
}

struct ArgumentError: Error, CustomStringConvertible {
    var description: String
}

/// Parses command-line arguments as values of the function's parameter kinds.
func parseArguments(_ texts: [String], _ kinds: [ValueKind]) throws -> [Value] {
    guard texts.count == kinds.count else {
        throw ArgumentError(description: "the function takes \(kinds.count) arguments (\(kinds.map(\.description).joined(separator: ", "))), got \(texts.count)")
    }
    return try zip(texts, kinds).map { text, kind in
        func bad() -> ArgumentError { ArgumentError(description: "\"\(text)\" is not a valid \(kind)") }
        switch kind {
        case .i32:
            if let v = Int32(text) { return .i32(v) }
            if let v = UInt32(text) { return .i32(Int32(bitPattern: v)) }
            throw bad()
        case .i64:
            if let v = Int64(text) { return .i64(v) }
            if let v = UInt64(text) { return .i64(Int64(bitPattern: v)) }
            throw bad()
        case .f32:
            guard let v = Float(text) else { throw bad() }
            return .f32(v)
        case .f64:
            guard let v = Double(text) else { throw bad() }
            return .f64(v)
        default:
            throw ArgumentError(description: "\(kind) arguments cannot be given on the command line")
        }
    }
}
