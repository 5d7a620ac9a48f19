import Foundation
import Testing
import Wasmc
import WasmcBackend
import WAT

/// The init function (`ModuleCompiler.emitInit`): element items and active data segments at
/// constant offsets are applied by loops over constant tables, so its code does not grow with
/// them, and instantiation still applies every segment in order, with those at other offsets
/// (global.get) in between.
@Suite("Init function")
struct InitFunctionTests {
    /// `segments` data segments of 8 bytes at 8-byte steps ("s" and the index in 7 digits), the
    /// one in the middle at a global's offset instead (written over by the next); an element
    /// segment of `segments` ref.func items (function i % 4 returns i % 4 + 100) and a null.
    static func module(segments: Int) -> String {
        var text = """
            (module
              (memory (export "memory") 2)
              (global $middle i32 (i32.const \(8 * (segments / 2))))
              (table \(segments + 1) funcref)
              (func $f0 (result i32) (i32.const 100))
              (func $f1 (result i32) (i32.const 101))
              (func $f2 (result i32) (i32.const 102))
              (func $f3 (result i32) (i32.const 103))
              (func (export "load") (param i32) (result i64) (i64.load (local.get 0)))
              (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
              \(memoryHashFunction)

            """
        for index in 0..<segments {
            let offset = index == segments / 2 ? "(global.get $middle)" : "(i32.const \(8 * index))"
            text += "  (data \(offset) \"s\(String(format: "%07d", index))\")\n"
        }
        text += "  (data (i32.const \(8 * (segments / 2 + 1))) \"after-gg\")\n"
        text += "  (elem (i32.const 0) funcref \((0..<segments).map { "(ref.func $f\($0 % 4))" }.joined(separator: " ")) (ref.null func)))\n"
        return text
    }

    /// What the segments leave in memory, as the test reads it back: each 8-byte word.
    static func expectedWord(_ index: Int, segments: Int) -> [UInt8] {
        index == segments / 2 + 1 ? Array("after-gg".utf8) : Array("s\(String(format: "%07d", index))".utf8)
    }

    @Test(arguments: [3, 40, 1000])
    func segmentsApplyInOrder(segments: Int) throws {
        for options in [CompileOptions(), CompileOptions(optimizationLevel: 0)] {
            let instance = try instantiate(Self.module(segments: segments), options: options)
            for index in [0, 1, segments / 2, segments / 2 + 1, segments - 1] {
                let word = try instance.call("load", [.i32(Int32(8 * index))])
                guard case .i64(let value)? = word.first else {
                    Issue.record("load(\(index)): \(word)")
                    continue
                }
                let bytes = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: value) >> (8 * $0)) }
                #expect(bytes == Self.expectedWord(index, segments: segments), "word \(index) of \(segments)")
            }
            for index in [0, 1, 2, 3, segments - 1] where index < segments {
                #expect(try instance.call("call", [.i32(Int32(index))]) == [.i32(Int32(100 + index % 4))], "call(\(index))")
            }
            #expect(trapOf { try instance.call("call", [.i32(Int32(segments))]) } != nil, "the null item")
        }
    }

    /// The init function of 100 segments and items and of 2,000 has the same number of
    /// instructions.
    @Test func initDoesNotGrowWithSegments() throws {
        func initInstructions(_ segments: Int) throws -> Int {
            let ir = try withTemporaryDirectory { directory in
                let path = directory.appendingPathComponent("module.ll").path
                try Compiler(options: CompileOptions(optimizationLevel: 0, output: .llvmIR))
                    .compile(try wat2wasm(Self.module(segments: segments)), to: path)
                return try String(contentsOfFile: path, encoding: .utf8)
            }
            let start = try #require(ir.range(of: "@wasmc.init("), "no init function in the IR")
            let body = ir[start.lowerBound...].prefix { $0 != "}" }
            return body.split(separator: "\n").filter { $0.hasPrefix("  ") }.count
        }
        let small = try initInstructions(100)
        #expect(small > 0)
        #expect(try initInstructions(2000) == small)
    }
}
