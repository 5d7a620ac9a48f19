import Foundation
import Testing
import Wasmc
import WasmcCompiler
import WasmcBackend
import WasmcModule
import WAT

/// A module read from a pipe is compiled as it arrives (`Compiler.compile(_: ModuleInput, ...)`):
/// its functions before its data segments come, and the .so behaves as one compiled from the
/// module in memory, names from a name section that comes last included.
@Suite struct StreamingCompileTests {
    /// Functions enough for several parts at `partSize` 64, one of them hashing memory (which
    /// the data segment fills), then a data segment of `dataLength` bytes at 0x1000 and a name
    /// section naming every function. Returns the module and where its data section starts.
    static func module(dataLength: Int = 3 << 20) throws -> (bytes: [UInt8], dataStart: Int) {
        var text = "(module (memory (export \"mem\") 64)\n" + memoryHashFunction
        for index in 0..<12 {
            text += """
                (func (export "f\(index)") (param i32) (result i32)
                  (i32.add (i32.mul (local.get 0) (i32.const \(index + 3))) (i32.const \(index * 7))))

                """
        }
        text += ")"
        var bytes = try wat2wasm(text)
        let dataStart = bytes.count
        // Active segment 0 at i32.const 0x1000.
        let data = (0..<dataLength).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let segment = [0x00, 0x41] + signedLEB(0x1000) + [0x0B] + leb128(data.count) + data
        bytes += [11] + leb128(1 + segment.count) + [1] + segment
        // The name section: function names (subsection 1).
        var map = leb128(13)
        for index in 0..<13 {
            let name = Array((index == 0 ? "hash_memory" : "step_\(index - 1)").utf8)
            map += leb128(index) + leb128(name.count) + name
        }
        let payload = leb128(4) + Array("name".utf8) + [1] + leb128(map.count) + map
        bytes += [0] + leb128(payload.count) + payload
        // And a custom section the compiler passes over.
        let producers = leb128(9) + Array("producers".utf8) + Array(repeating: 7, count: 300)
        bytes += [0] + leb128(producers.count) + producers
        return (bytes, dataStart)
    }

    /// What the progress reports said, from the compile's threads.
    final class Progress: @unchecked Sendable {
        private let lock = NSLock()
        private var partsDone = false
        func record(_ progress: CompileProgress) {
            if progress.stage == .compiling, progress.fraction == 1 { lock.withLock { partsDone = true } }
        }
        var functionsCompiled: Bool { lock.withLock { partsDone } }
    }

    /// The compile's result, from its thread.
    final class Outcome: @unchecked Sendable {
        var error: (any Error)?
        let done = DispatchSemaphore(value: 0)
    }

    static func write(_ bytes: ArraySlice<UInt8>, to descriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = Glibc.write(descriptor, buffer.baseAddress! + done, buffer.count - done)
                precondition(n > 0, "writing the pipe")
                done += n
            }
        }
    }

    @Test func functionsAreCompiledBeforeTheDataArrives() throws {
        let (bytes, dataStart) = try Self.module()
        try withTemporaryDirectory { directory in
            let so = directory.appendingPathComponent("streamed.so").path
            var options = CompileOptions()
            options.partSize = 64
            let progress = Progress()
            options.progress = { progress.record($0) }
            var pipe: [Int32] = [0, 0]
            #expect(Glibc.pipe(&pipe) == 0)
            let outcome = Outcome()
            let input = ModuleInput(descriptor: pipe[0], name: "the pipe")
            let compiler = Compiler(options: options)
            Thread {
                do { try compiler.compile(input, to: so) } catch { outcome.error = error }
                outcome.done.signal()
            }.start()
            // The code and the first half of the data section; the rest is held back until every
            // part of functions is compiled (or a minute has passed, and the test fails).
            let half = dataStart + (bytes.count - dataStart) / 2
            let writeEnd = pipe[1]
            let written = DispatchSemaphore(value: 0)
            Thread {
                Self.write(bytes[..<half], to: writeEnd)
                written.signal()
            }.start()
            let deadline = Date().addingTimeInterval(60)
            while !progress.functionsCompiled && Date() < deadline { usleep(10_000) }
            #expect(progress.functionsCompiled, "the functions were compiled before the data segment had arrived")
            written.wait()
            Self.write(bytes[half...], to: writeEnd)
            close(pipe[1])
            outcome.done.wait()
            close(pipe[0])
            if let error = outcome.error { throw error }

            // The same as the module compiled from memory.
            let whole = directory.appendingPathComponent("whole.so").path
            var wholeOptions = CompileOptions()
            wholeOptions.partSize = 64
            try Compiler(options: wholeOptions).compile(bytes, to: whole)
            var results: [[Value]] = []
            for path in [so, whole] {
                let instance = try Instance(module: try CompiledModule(path: path), store: Store()) { _ in nil }
                results.append(try instance.call("hash", [.i32(0x1000 + (3 << 20))]) + instance.call("f5", [.i32(11)]))
            }
            #expect(results[0] == results[1])
            #expect(results[0].last == .i32(11 * 8 + 35))
            // The name section came after the data: the functions were renamed after their parts
            // were compiled.
            let symbols = try String(decoding: Data(contentsOf: URL(fileURLWithPath: so)), as: UTF8.self)
            #expect(symbols.contains("wasm:hash_memory") && symbols.contains("wasm:step_11"))
            #expect(!symbols.contains("wasm:f1\u{0}"))
        }
    }

    @Test func aModuleCutShortIsAnErrorNamingWhere() throws {
        let (bytes, dataStart) = try Self.module(dataLength: 100_000)
        try withTemporaryDirectory { directory in
            let so = directory.appendingPathComponent("cut.so").path
            for end in [dataStart - 3, dataStart + 50_000, bytes.count - 4] {
                var options = CompileOptions()
                options.partSize = 64
                #expect {
                    try Compiler(options: options).compile(Array(bytes[..<end]), to: so)
                } throws: { error in
                    guard case .module(let problem) = error as? CompileError else { return false }
                    return problem.kind == .malformed && problem.offset != nil
                }
                #expect(!FileManager.default.fileExists(atPath: so))
            }
        }
    }

    @Test func onlyCustomSectionsFollowTheData() throws {
        var (bytes, _) = try Self.module(dataLength: 1_000)
        bytes += [8, 1, 0]  // a start section after the data
        #expect {
            try Compiler().compile(bytes, to: "/nonexistent/never.so")
        } throws: { error in
            "\(error)".contains("section out of order")
        }
    }

    @Test func aDataSegmentWithAnOffsetOfManyInstructions() throws {
        // An extended constant expression (3.0) longer than the decoder's first window.
        var (bytes, dataStart) = try Self.module(dataLength: 16)
        bytes.removeSubrange(dataStart...)
        var expression: [UInt8] = [0x41, 0x00]
        for _ in 0..<40 { expression += [0x41] + signedLEB(0x100) + [0x6A] }  // i32.const 256, i32.add
        let segment: [UInt8] = [0x00] + expression + [0x0B] + leb128(4) + [1, 2, 3, 4]
        bytes += [11] + leb128(1 + segment.count) + [1] + segment
        let instance = try Instance(module: try CompiledModule(wasm: bytes), store: Store()) { _ in nil }
        let memory = try #require(instance.memory("mem"))
        #expect(memory.withUnsafeMutableBytes { Array($0[40 * 256..<40 * 256 + 5]) } == [1, 2, 3, 4, 0])
    }
}
