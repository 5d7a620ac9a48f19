import Foundation
import Testing
import Wasmc
import WasmcCompiler
import WasmcBackend
import WAT

/// A module compiled in parts on several threads (Sources/WasmcBackend/Partition.swift: each
/// part's IR generated, optimized and emitted on a thread, small callees such as f0 copied into
/// the parts that call them) must give a .so that behaves exactly like the whole build.
@Suite("Parallel code generation")
struct ParallelCodegenTests {
    /// 48 functions `f<i>(x) = mix(x) + f<i-1>(x)` (each a few hundred instructions of integer
    /// and float work, the memory, a global, and every fourth a call_indirect through the
    /// table), so the module is too large for one part and calls cross the parts.
    static let module: String = {
        var text = """
            (module
              (type $unary (func (param i64) (result i64)))
              (memory (export "memory") 1)
              (global $counter (mut i64) (i64.const 0))
              (table 48 funcref)
              (data (i32.const 64) "wasmc parallel code generation")
              (func $f0 (type $unary) (i64.add (local.get 0) (i64.load8_u (i32.const 64))))

            """
        for index in 1..<48 {
            var body = "(local.get 0)"
            for round in 0..<24 {
                body = """
                    (i64.xor (i64.rotl (i64.mul \(body) (i64.const \(0x9E37_79B9 + index * 7 + round))) (i64.const \(round + 5)))
                      (i64.trunc_sat_f64_s (f64.mul (f64.convert_i64_s (i64.shr_s (local.get 0) (i64.const \(round + 20)))) (f64.const 1.\(index)))))
                    """
            }
            let previous = index % 4 == 0
                ? "(call_indirect (type $unary) (local.get 0) (i32.const \(index - 1)))"
                : "(call $f\(index - 1) (local.get 0))"
            text += """
                  (func $f\(index) (type $unary)
                    (i64.store (i32.const \(128 + 8 * index)) (local.get 0))
                    (global.set $counter (i64.add (global.get $counter) (i64.const 1)))
                    (i64.add \(body) \(previous)))

                """
        }
        text += "  (elem (i32.const 0) func \((0..<48).map { "$f\($0)" }.joined(separator: " ")))\n"
        text += """
              (func (export "run") (param i64) (result i64) (call $f47 (local.get 0)))
              (func (export "counter") (result i64) (global.get $counter))
              (func (export "stored") (param i32) (result i64) (i64.load (i32.add (i32.const 128) (i32.shl (local.get 0) (i32.const 3))))))
            """
        return text
    }()

    /// Split in parts (optimized each on its own), the module behaves like its -O0 build, and
    /// the .so does not depend on the number of threads: one thread and four give the same file.
    @Test func splitModuleBehavesLikeUnsplitBuild() throws {
        let wasm = try wat2wasm(Self.module)
        try withTemporaryDirectory { directory in
            var files: [Data] = []
            var instances: [Instance] = []
            for threads in [1, 4] {
                let path = directory.appendingPathComponent("parallel-\(threads).so").path
                let report = try Compiler(options: CompileOptions(threads: threads)).compile(wasm, to: path)
                #expect(report.codegenParts > 1 && report.compiledInParts,
                        "\(threads) threads: \(report.codegenParts) parts, in parts: \(report.compiledInParts)")
                files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
                instances.append(try Instance(module: try CompiledModule(path: path), store: Store()) { _ in nil })
            }
            #expect(files[0] == files[1], "the .so depends on the number of threads")
            let reference = try instantiate(Self.module, options: CompileOptions(optimizationLevel: 0))
            for argument: Int64 in [0, 1, -1, 12345, Int64.max, Int64.min, 0x0123_4567_89AB_CDEF] {
                let expected = try reference.call("run", [.i64(argument)])
                let result = try instances[1].call("run", [.i64(argument)])
                #expect(result == expected, "run(\(argument)): split \(result), -O0 \(expected)")
            }
            let counters = try [instances[1], reference].map { try $0.call("counter", []) }
            #expect(counters[0] == counters[1] && counters[0] == [.i64(7 * 47)], "counter: \(counters)")
            for index: Int32 in [1, 4, 47] {
                let stored = try [instances[1], reference].map { try $0.call("stored", [.i32(index)]) }
                #expect(stored[0] == stored[1], "stored(\(index)): \(stored)")
            }
        }
    }

    /// Functions the name section gives one name keep symbols of their own in every part
    /// (`FunctionSymbols`), including one named as a renamed one would be: each export reaches
    /// its own function, in a whole build and across parts of one function each.
    @Test func functionsOfOneNameStayApartAcrossParts() throws {
        var wasm = try wat2wasm("""
            (module
              (func (result i32) (i32.const 1))
              (func (result i32) (i32.add (call 0) (i32.const 10)))
              (func (result i32) (i32.add (call 1) (i32.const 100)))
              (func (export "a") (result i32) (call 0))
              (func (export "b") (result i32) (call 1))
              (func (export "c") (result i32) (call 2)))
            """)
        wasm += Self.nameSection([(0, "same"), (1, "same"), (2, "same.1")])
        for partSize in [nil, 1] {
            var options = CompileOptions()
            options.partSize = partSize
            let instance = try Instance(module: try CompiledModule(wasm: wasm, options: options), store: Store()) { _ in nil }
            for (name, expected) in [("a", 1), ("b", 11), ("c", 111)] {
                #expect(try instance.call(name, []) == [.i32(Int32(expected))], "part size \(String(describing: partSize)): \(name)")
            }
        }
    }

    /// A custom "name" section with function names (subsection 1).
    static func nameSection(_ names: [(Int, String)]) -> [UInt8] {
        func name(_ text: String) -> [UInt8] { leb128(text.utf8.count) + Array(text.utf8) }
        var map = leb128(names.count)
        for (index, text) in names { map += leb128(index) + name(text) }
        let content = name("name") + [1] + leb128(map.count) + map
        return [0] + leb128(content.count) + content
    }
}
