import Foundation
import Testing
import Wasmc
import WasmcCompiler
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

/// `value` as unsigned LEB128, for tests that assemble binary modules themselves.
func leb128(_ value: Int) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    repeat {
        bytes.append(UInt8(value & 0x7F) | (value > 0x7F ? 0x80 : 0))
        value >>= 7
    } while value != 0
    return bytes
}

/// `value` as signed LEB128.
func signedLEB(_ value: Int64) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    while true {
        let byte = UInt8(value & 0x7F)
        value >>= 7
        if (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0) { return bytes + [byte] }
        bytes.append(byte | 0x80)
    }
}

/// Runs `body` with a fresh temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wasmc-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// The LLVM IR that -O2 makes of a text module for x86-64 `cpu` (by default x86-64-v3, AVX2):
/// the body of function `wasm:f<index>` for each of `functions`, by index. `instrument`: in code
/// that counts executions.
func optimizedIR(of text: String, functions: [Int], cpu: String = "x86-64-v3", instrument: Bool = false) throws -> [Int: String] {
    let target = try Target.resolve(triple: "x86_64-linux-gnu", cpu: cpu)
    let ir = try withTemporaryDirectory { directory in
        let path = directory.appendingPathComponent("module.ll").path
        let options = CompileOptions(target: target, output: .llvmIR, instrument: instrument)
        try Compiler(options: options).compile(try wat2wasm(text), to: path)
        return try String(contentsOfFile: path, encoding: .utf8)
    }
    var bodies: [Int: String] = [:]
    for index in functions {
        let start = try #require(ir.range(of: "@\"wasm:f\(index)\"("), "no function \(index) in the IR")
        bodies[index] = String(ir[start.lowerBound...].prefix { $0 != "}" })
    }
    return bodies
}

/// The block labels of a function body in LLVM IR text (the lines that start a block).
func blockLabels(_ body: String) -> [String] {
    body.split(separator: "\n").compactMap { line in
        line.first.map { $0 != " " && $0 != ";" } == true ? line.split(separator: ":").first.map(String.init) : nil
    }
}

/// A wasm function `hash(n)` (exported as "hash"): h = 31h + byte i over the first n bytes of
/// memory, for tests that compare what two builds left in memory.
let memoryHashFunction = """
    (func (export "hash") (param $n i32) (result i32) (local $i i32) (local $h i32)
      (block $done
        (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $h (i32.add (i32.mul (local.get $h) (i32.const 31)) (i32.load8_u (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
      (local.get $h))
    """

/// A wasm function `fill<type>(n)` (exported under that name; `type` f32 or f64): element i of
/// memory = 0.37i - 5.1 for i < n, values with no NaNs (whose bits wasm leaves open), for tests
/// that run float code on memory.
func memoryFillFunction(_ type: String) -> String {
    let shift = type == "f64" ? 3 : 2
    return """
        (func (export "fill\(type)") (param $n i32) (local $i i32)
          (block $done
            (loop $next
              (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
              (\(type).store (i32.shl (local.get $i) (i32.const \(shift)))
                (\(type).sub (\(type).mul (\(type).convert_i32_u (local.get $i)) (\(type).const 0.37)) (\(type).const 5.1)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next))))
        """
}
