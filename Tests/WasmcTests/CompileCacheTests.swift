import Foundation
import Testing
import Wasmc
import WasmcCompiler
import WasmcBackend
import WAT

@Suite struct CompileCacheTests {
    static func wasm(_ constant: Int) throws -> [UInt8] {
        try wat2wasm("(module (func (export \"f\") (result i32) (i32.const \(constant))))")
    }

    static func call(_ module: CompiledModule) throws -> [Value] {
        try Instance(module: module, store: Store(), imports: []).call("f", [])
    }

    @Test func aSecondCompileOfTheSameModuleIsALookup() throws {
        try withTemporaryDirectory { directory in
            let cache = CompileCache(directory: directory.path)
            let first = try CompiledModule(wasm: try Self.wasm(7), cache: cache)
            #expect(!first.isFromCache)
            let second = try CompiledModule(wasm: try Self.wasm(7), cache: cache)
            #expect(second.isFromCache)
            #expect(try Self.call(second) == [.i32(7)])
            // Another module, other options: other entries.
            #expect(!(try CompiledModule(wasm: try Self.wasm(8), cache: cache)).isFromCache)
            #expect(!(try CompiledModule(wasm: try Self.wasm(7), options: CompileOptions(optimizationLevel: 1), cache: cache)).isFromCache)
            #expect(cache.entries().count == 3)
        }
    }

    @Test func aCorruptEntryIsRebuilt() throws {
        try withTemporaryDirectory { directory in
            let cache = CompileCache(directory: directory.path)
            _ = try CompiledModule(wasm: try Self.wasm(7), cache: cache)
            let entry = try #require(cache.entries().first)
            let path = directory.appendingPathComponent("\(entry.key).so").path
            // Truncated, then one byte changed: each detected, rebuilt, and right again.
            for damage in [{ (data: inout Data) in data = data.prefix(data.count / 2) }, { $0[$0.count / 2] ^= 0xFF }] {
                var data = try #require(FileManager.default.contents(atPath: path))
                damage(&data)
                try data.write(to: URL(fileURLWithPath: path))
                let module = try CompiledModule(wasm: try Self.wasm(7), cache: cache)
                #expect(!module.isFromCache)
                #expect(try Self.call(module) == [.i32(7)])
                #expect(try CompiledModule(wasm: try Self.wasm(7), cache: cache).isFromCache)
            }
        }
    }

    @Test func theLeastRecentlyUsedEntriesGoBeyondTheLimit() throws {
        try withTemporaryDirectory { directory in
            let unbounded = CompileCache(directory: directory.path)
            _ = try CompiledModule(wasm: try Self.wasm(1), cache: unbounded)
            let size = try #require(unbounded.entries().first).bytes
            // Room for two entries: the third evicts the one used least recently (1, since 2 was
            // compiled after it and 1 is not looked up again).
            let cache = CompileCache(directory: directory.path, sizeLimit: 2 * size + size / 2)
            Thread.sleep(forTimeInterval: 0.02)
            _ = try CompiledModule(wasm: try Self.wasm(2), cache: cache)
            Thread.sleep(forTimeInterval: 0.02)
            _ = try CompiledModule(wasm: try Self.wasm(3), cache: cache)
            #expect(cache.entries().count == 2)
            #expect(try CompiledModule(wasm: try Self.wasm(3), cache: cache).isFromCache)
            #expect(!(try CompiledModule(wasm: try Self.wasm(1), cache: cache)).isFromCache)
        }
    }

    @Test func keysFollowWhatChangesTheCode() throws {
        let wasm = try Self.wasm(7)
        let key = try CompileCache.key(wasm: wasm, options: CompileOptions())
        var timed = CompileOptions()
        timed.applyEnvironment(["HOME": "/x", "WASMC_TIME_PASSES": "1"])
        #expect(key == (try CompileCache.key(wasm: wasm, options: timed)))
        var withoutJam = CompileOptions()
        withoutJam.applyEnvironment(["WASMC_NO_JAM": "1"])
        #expect(key != (try CompileCache.key(wasm: wasm, options: withoutJam)))
        #expect(key != (try CompileCache.key(wasm: wasm, options: CompileOptions(boundsChecks: .explicit))))
        var wasm2 = CompileOptions()
        wasm2.features = .wasm2
        #expect(key != (try CompileCache.key(wasm: wasm, options: wasm2)))
        // Not cached: a compile with a profile, or to another output than a .so.
        #expect(try CompileCache.key(wasm: wasm, options: CompileOptions(output: .object)) == nil)
    }
}
