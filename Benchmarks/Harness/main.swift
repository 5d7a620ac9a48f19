// wasmc-bench: the in-process side of the benchmark suite. One worker process runs one engine
// (wasmc's compiled .so, the WasmKit interpreter, or the kernel's native build) and answers
// commands from Benchmarks/bench.py on stdin, one JSON object per line on stdout. The
// orchestrator interleaves the engines' runs and computes medians and ratios; this program only
// measures.
//
// Commands (one per line, words separated by spaces):
//   load NAME PATH [OPT [CPU]]
//                          load kernel NAME from PATH (.wasm for wasmc/wasmkit, .so for native);
//                          wasmc compiles at -O<OPT> (default 2) for CPU (an LLVM CPU name such
//                          as x86-64-v3; default: the host's): {"compile_s","instantiate_s"}
//   run NAME SIZE          bench_init(SIZE) untimed, then bench_run timed: {"seconds","checksum"}
//   compile PATH OPT       compile a .wasm with wasmc at -O<OPT>, timed: {"seconds","wasm_bytes"}
//   calls COUNT            host→wasm call overhead on a one-instruction export: {"ns_per_call"}
//   quit
import Foundation
import Wasmc
import WasmcCompiler
import WasmcBackend
import WasmKit
import WAT

/// One loaded kernel: the three exports every kernel has (Benchmarks/kernels/bench.h).
protocol Kernel {
    func initialize(size: Int32) throws
    func run() throws
    func checksum() throws -> Double
}

enum HarnessError: Error, CustomStringConvertible {
    case message(String)
    var description: String { if case .message(let text) = self { return text } else { return "" } }
}

// MARK: Engines

/// A kernel compiled by wasmc and called through the Swift shim.
final class WasmcKernel: Kernel {
    let instance: Wasmc.Instance
    let initFunction, runFunction, checksumFunction: Wasmc.Function
    let compileSeconds: Double
    let instantiateSeconds: Double

    init(wasm: [UInt8], options: CompileOptions) throws {
        let start = Date()
        let module = try CompiledModule(wasm: wasm, options: options)
        compileSeconds = Date().timeIntervalSince(start)
        let instantiated = Date()
        let instance = try Wasmc.Instance(module: module, store: Wasmc.Store(), imports: [])
        instantiateSeconds = Date().timeIntervalSince(instantiated)
        self.instance = instance
        func export(_ name: String) throws -> Wasmc.Function {
            guard let function = instance.function(name) else { throw HarnessError.message("no export \(name)") }
            return function
        }
        initFunction = try export("bench_init")
        runFunction = try export("bench_run")
        checksumFunction = try export("bench_checksum")
    }

    func initialize(size: Int32) throws { _ = try initFunction.call([.i32(size)]) }
    func run() throws { _ = try runFunction.call([]) }

    func checksum() throws -> Double {
        guard case .f64(let value) = try checksumFunction.call([]).first else { throw HarnessError.message("bench_checksum: not an f64") }
        return value
    }
}

/// A kernel run by WasmKit's interpreter (the baseline the issue compares against).
final class WasmKitKernel: Kernel {
    let instance: WasmKit.Instance
    let compileSeconds: Double
    let instantiateSeconds: Double

    init(wasm: [UInt8]) throws {
        let start = Date()
        let module = try parseWasm(bytes: wasm)
        compileSeconds = Date().timeIntervalSince(start)
        let instantiated = Date()
        let store = WasmKit.Store(engine: Engine())
        instance = try module.instantiate(store: store)
        instantiateSeconds = Date().timeIntervalSince(instantiated)
    }

    private func call(_ name: String, _ arguments: [WasmKit.Value]) throws -> [WasmKit.Value] {
        guard let function = instance.exports[function: name] else { throw HarnessError.message("no export \(name)") }
        return try function(arguments)
    }

    func initialize(size: Int32) throws { _ = try call("bench_init", [.i32(UInt32(bitPattern: size))]) }
    func run() throws { _ = try call("bench_run", []) }

    func checksum() throws -> Double {
        guard case .f64(let bits) = try call("bench_checksum", []).first else { throw HarnessError.message("bench_checksum: not an f64") }
        return Double(bitPattern: bits)
    }
}

/// The kernel's native build (clang-19 -O3 -march=native), loaded with dlopen.
final class NativeKernel: Kernel {
    typealias InitFunction = @convention(c) (Int32) -> Void
    typealias RunFunction = @convention(c) () -> Void
    typealias ChecksumFunction = @convention(c) () -> Double

    let handle: UnsafeMutableRawPointer
    let initFunction: InitFunction
    let runFunction: RunFunction
    let checksumFunction: ChecksumFunction

    init(path: String) throws {
        guard let handle = dlopen(path.contains("/") ? path : "./" + path, RTLD_NOW | RTLD_LOCAL) else {
            throw HarnessError.message(String(cString: dlerror()))
        }
        self.handle = handle
        func symbol<T>(_ name: String, as: T.Type) throws -> T {
            guard let address = dlsym(handle, name) else { throw HarnessError.message("\(path): no symbol \(name)") }
            return unsafeBitCast(address, to: T.self)
        }
        initFunction = try symbol("bench_init", as: InitFunction.self)
        runFunction = try symbol("bench_run", as: RunFunction.self)
        checksumFunction = try symbol("bench_checksum", as: ChecksumFunction.self)
    }

    func initialize(size: Int32) throws { initFunction(size) }
    func run() throws { runFunction() }
    func checksum() throws -> Double { checksumFunction() }
}

// MARK: Worker

/// Seconds on a monotonic clock.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

func reply(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

func readWasm(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw HarnessError.message("cannot read \(path)") }
    return Array(data)
}

let callModule = "(module (func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"

func main() {
    let arguments = CommandLine.arguments
    guard arguments.count == 2, ["wasmc", "wasmkit", "native"].contains(arguments[1]) else {
        FileHandle.standardError.write(Data("usage: wasmc-bench wasmc|wasmkit|native  (commands on stdin)\n".utf8))
        exit(2)
    }
    let engine = arguments[1]
    var kernels: [String: any Kernel] = [:]
    while let line = readLine() {
        let words = line.split(separator: " ").map(String.init)
        guard let command = words.first else { continue }
        do {
            switch (command, words.count) {
            case ("load", 3...5):
                var options = CompileOptions(optimizationLevel: words.count >= 4 ? Int(words[3]) ?? 2 : 2)
                options.applyEnvironment(ProcessInfo.processInfo.environment)
                if words.count == 5 { options.target = try Target.resolve(cpu: words[4]) }
                switch engine {
                case "wasmc":
                    let kernel = try WasmcKernel(wasm: try readWasm(words[2]), options: options)
                    kernels[words[1]] = kernel
                    reply(["compile_s": kernel.compileSeconds, "instantiate_s": kernel.instantiateSeconds])
                case "wasmkit":
                    let kernel = try WasmKitKernel(wasm: try readWasm(words[2]))
                    kernels[words[1]] = kernel
                    reply(["compile_s": kernel.compileSeconds, "instantiate_s": kernel.instantiateSeconds])
                default:
                    kernels[words[1]] = try NativeKernel(path: words[2])
                    reply(["compile_s": 0, "instantiate_s": 0])
                }
            case ("run", 3):
                guard let kernel = kernels[words[1]], let size = Int32(words[2]) else { throw HarnessError.message("run: unknown kernel or size") }
                try kernel.initialize(size: size)
                let start = now()
                try kernel.run()
                let seconds = now() - start
                reply(["seconds": seconds, "checksum": try kernel.checksum()])
            case ("compile", 3), ("compile", 4):
                // compile PATH LEVEL [PROFILE]: a profile compiles the functions it finds cold
                // at -O0 (Documentation/profiles.md); reading it is not timed.
                let wasm = try readWasm(words[1])
                var options = CompileOptions(optimizationLevel: Int(words[2]) ?? 2)
                options.applyEnvironment(ProcessInfo.processInfo.environment)
                if words.count == 4 { options.profile = try Profile(file: String(words[3])) }
                let output = FileManager.default.temporaryDirectory.appendingPathComponent("wasmc-bench-\(UUID().uuidString).so").path
                defer { try? FileManager.default.removeItem(atPath: output) }
                let start = now()
                try Compiler(options: options).compile(wasm, to: output)
                reply(["seconds": now() - start, "wasm_bytes": wasm.count])
            case ("calls", 2):
                let count = Int(words[1]) ?? 1_000_000
                reply(["ns_per_call": try callOverhead(engine: engine, count: count)])
            case ("quit", _):
                return
            default:
                throw HarnessError.message("unknown command: \(line)")
            }
        } catch {
            reply(["error": "\(error)"])
        }
    }
}

/// Nanoseconds per call of a wasm function adding two i32s, called from the host.
func callOverhead(engine: String, count: Int) throws -> Double {
    let wasm = try wat2wasm(callModule)
    var total: Int32 = 0
    let start: Double
    switch engine {
    case "wasmc":
        let instance = try Wasmc.Instance(module: try CompiledModule(wasm: wasm), store: Wasmc.Store(), imports: [])
        let add = instance.function("add")!
        start = now()
        for i in 0..<count {
            if case .i32(let value) = try add.call([.i32(Int32(truncatingIfNeeded: i)), .i32(1)]).first { total &+= value }
        }
    case "wasmkit":
        let instance = try parseWasm(bytes: wasm).instantiate(store: WasmKit.Store(engine: Engine()))
        let add = instance.exports[function: "add"]!
        start = now()
        for i in 0..<count {
            if case .i32(let value) = try add([.i32(UInt32(truncatingIfNeeded: i)), .i32(1)]).first { total &+= Int32(bitPattern: value) }
        }
    default:
        throw HarnessError.message("calls: no wasm function to call natively")
    }
    let seconds = now() - start
    if total == 42 { FileHandle.standardError.write(Data("\n".utf8)) }  // keeps the loop's results alive
    return seconds / Double(count) * 1e9
}

main()
