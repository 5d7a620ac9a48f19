import Foundation
import Testing
import Wasmc
import WasmcCompiler
import WasmcBackend
import WasmcModule
import WAT

/// Profiles (Documentation/profiles.md): code compiled with `instrument` counts calls plus loop
/// iterations per function; a profile made of the counts sorts the functions into hot, warm and
/// cold, and a build with it compiles the hot ones at the level asked for, the others at -O0,
/// and behaves exactly like the build without.
@Suite("Profiles")
struct ProfileTests {
    /// f0 = sum(n): a loop of n iterations; f1 = never(): not called; f2 = twice(n): two sums.
    static let module = """
        (module
          (func $sum (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
            (loop $l
              (local.set $s (i32.add (local.get $s) (local.get $i)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
            (local.get $s))
          (func (export "never") (result i32) (i32.const 7))
          (func (export "twice") (param i32) (result i32) (i32.add (call $sum (local.get 0)) (call $sum (local.get 0)))))
        """

    @Test func countsAreCallsPlusLoopIterations() throws {
        let wasm = try wat2wasm(Self.module)
        let module = try CompiledModule(wasm: wasm, options: CompileOptions(instrument: true))
        let instances = try (0..<2).map { _ in try Instance(module: module, store: Store()) { _ in nil } }
        #expect(try instances[0].call("twice", [.i32(10)]) == [.i32(90)])
        #expect(try instances[1].call("sum", [.i32(5)]) == [.i32(10)])
        let profile = try #require(module.profile)
        // sum: 2 + 20 from twice, 1 + 5 from the direct call (both instances count together).
        #expect(profile.counts == [0: 28, 2: 1], "\(profile.counts)")
        #expect(profile.wasmHash == module.wasmHash && module.wasmHash.count == 64)
        module.resetProfile()
        #expect(module.profile?.counts == [:])
        // Without `instrument` there are no counters; a module without functions has none to
        // count, but says it counts.
        #expect(try CompiledModule(wasm: wasm).profile == nil)
        let empty = try CompiledModule(wasm: try wat2wasm("(module (memory 1))"), options: CompileOptions(instrument: true))
        #expect(empty.profile?.counts == [:])
    }

    /// The counters' loads and stores are marked as not aliasing any other access: a loop that
    /// is vectorized without counters still is with them.
    @Test func countingKeepsLoopsVectorized() throws {
        let text = """
            (module (memory 1)
              (func (param $n i32) (local $i i32)
                (block $done
                  (loop $next
                    (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                    (f32.store (i32.shl (local.get $i) (i32.const 2))
                      (f32.add (f32.load (i32.shl (local.get $i) (i32.const 2)))
                               (f32.load offset=16384 (i32.shl (local.get $i) (i32.const 2)))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $next)))))
            """
        let plain = try #require(try optimizedIR(of: text, functions: [0])[0])
        let counted = try #require(try optimizedIR(of: text, functions: [0], instrument: true)[0])
        #expect(plain.contains("<8 x float>"), "not vectorized without counters:\n\(plain)")
        #expect(counted.contains("wasmc.profile.counts"), "no counter:\n\(counted)")
        #expect(counted.contains("<8 x float>"), "not vectorized with counters:\n\(counted)")
    }

    @Test func textRoundTripsAndMerges() throws {
        let hash = String(repeating: "ab", count: 32)
        var profile = Profile(wasmHash: hash, counts: [3: 10, 5: 2, 7: 0])
        #expect(profile.counts == [3: 10, 5: 2])
        let text = profile.text(names: [3: "hot loop"])
        #expect(text == "# wasmc profile 1\n# function index, calls + loop iterations, name\nwasm-sha256 \(hash)\n3 10 hot loop\n5 2\n")
        #expect(try Profile(text: text) == profile)
        // A name is any UTF-8: a line break in it must not end the line.
        let broken = profile.text(names: [3: "two\nlines", 5: "crlf\r\nname"])
        #expect(broken.contains("\n3 10 two lines\n5 2 crlf name\n"), "\(broken)")
        #expect(try Profile(text: broken) == profile)
        try profile.merge(Profile(wasmHash: hash, counts: [5: 1, 9: .max]))
        try profile.merge(Profile(wasmHash: hash, counts: [9: 1]))
        #expect(profile.counts == [3: 10, 5: 3, 9: .max])
        #expect(throws: ProfileError.self) { try profile.merge(Profile(wasmHash: String(repeating: "cd", count: 32), counts: [:])) }
    }

    @Test("a malformed profile names what and where", arguments: [
        ("", "empty file"),
        ("3 10\n", "line 1: not a wasmc profile"),
        ("# wasmc profile 1\n3 10\n", "no wasm-sha256 line"),
        ("# wasmc profile 1\nwasm-sha256 1234\n", "line 2: expected wasm-sha256 and 64 hex digits"),
        ("# wasmc profile 1\nwasm-sha256 \(String(repeating: "0", count: 64))\n3 ten\n", "line 3: expected FUNCTION-INDEX COUNT"),
        ("# wasmc profile 1\nwasm-sha256 \(String(repeating: "0", count: 64))\n3 1\n3 2\n", "line 4: function 3 appears twice"),
        ("# wasmc profile 1\nwasm-sha256 \(String(repeating: "0", count: 64))\n   \n", "line 3: expected FUNCTION-INDEX COUNT"),
    ])
    func malformed(text: String, message: String) {
        do {
            _ = try Profile(text: text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    /// Hot: the most counted functions that together hold the hot share of the counts (99.9% by
    /// default; equal counts share a tier); warm: the others that ran; cold: the ones that did
    /// not.
    @Test func tiers() {
        let hash = String(repeating: "0", count: 64)
        let profile = Profile(wasmHash: hash, counts: [1: 990, 2: 9, 3: 1])
        #expect(profile.tiers(of: 1..<5) == Profile.Tiers(hot: [1, 2], warm: [3], cold: [4]))
        #expect(profile.tiers(of: 1..<5, hotShare: 0.99) == Profile.Tiers(hot: [1], warm: [2, 3], cold: [4]))
        #expect(profile.tiers(of: 1..<5, hotShare: 1) == Profile.Tiers(hot: [1, 2, 3], warm: [], cold: [4]))
        let even = Profile(wasmHash: hash, counts: [1: 5, 2: 5, 3: 5]).tiers(of: 0..<4)
        #expect(even == Profile.Tiers(hot: [1, 2, 3], warm: [], cold: [0]))
        #expect(Profile(wasmHash: hash, counts: [:]).tiers(of: 0..<2) == Profile.Tiers(hot: [], warm: [], cold: [0, 1]))
    }

    /// The split module of ParallelCodegenTests with a profile where `counter` does 99.5% of the
    /// work: with a hot share of 99% it alone is hot, the rest goes to parts at -O0, and the .so
    /// computes what the -O0 build does.
    @Test func profiledBuildBehavesLikePlainBuild() throws {
        let wasm = try wat2wasm(ParallelCodegenTests.module)
        let instrumented = try CompiledModule(wasm: wasm, options: CompileOptions(instrument: true))
        let training = try Instance(module: instrumented, store: Store()) { _ in nil }
        _ = try training.call("run", [.i64(3)])
        for _ in 0..<10_000 { _ = try training.call("counter", []) }
        let profile = try #require(instrumented.profile)
        let counter = try #require(instrumented.exports.first { $0.name == "counter" }?.index)
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("profiled.so").path
            let report = try Compiler(options: CompileOptions(profile: profile, hotShare: 0.99)).compile(wasm, to: path)
            let tiers = try #require(report.tiers)
            #expect(tiers.hot == [counter], "\(tiers)")
            #expect(tiers.warm.count == 49 && tiers.cold.count == 1, "\(tiers)")
            #expect(report.codegenParts >= 2 && report.compiledInParts)
            let module = try CompiledModule(path: path)
            let profiled = try Instance(module: module, store: Store()) { _ in nil }
            let reference = try instantiate(ParallelCodegenTests.module, options: CompileOptions(optimizationLevel: 0))
            for argument: Int64 in [0, 1, -1, 12345, Int64.max, Int64.min] {
                let expected = try reference.call("run", [.i64(argument)])
                #expect(try profiled.call("run", [.i64(argument)]) == expected, "run(\(argument))")
            }
            #expect(try profiled.call("counter", []) == reference.call("counter", []))
            let inspect = try String(contentsOfFile: path, encoding: .isoLatin1)
            #expect(inspect.contains("--profile (1 hot at -O2, 49 warm at -O0, 1 cold at -O0)"))
        }
    }

    @Test func profileThatDoesNotFitIsRefused() throws {
        let wasm = try wat2wasm(Self.module)
        let hash = try CompiledModule(wasm: wasm).wasmHash
        /// The error of a compile with `profile`, or nil.
        func refusal(_ profile: Profile, output: CompileOptions.Output = .sharedObject, hotShare: Double = Profile.defaultHotShare) throws -> String? {
            let options = CompileOptions(output: output, profile: profile, hotShare: hotShare)
            return try withTemporaryDirectory { directory -> String? in
                do {
                    try Compiler(options: options).compile(wasm, to: directory.appendingPathComponent("out").path)
                    return nil
                } catch {
                    return "\(error)"
                }
            }
        }
        let other = String(repeating: "0", count: 64)
        #expect(try refusal(Profile(wasmHash: other, counts: [0: 1]))?.contains("profile: recorded for another module (wasm sha256 \(other), this one is wasm sha256 \(hash))") == true)
        #expect(try refusal(Profile(wasmHash: hash, counts: [0: 1]), output: .llvmIR)?.contains("applies to shared objects only (--emit so), not --emit ir") == true)
        #expect(try refusal(Profile(wasmHash: hash, counts: [3: 1]))?.contains("counts function 3, but the module has 3 functions") == true)
        #expect(try refusal(Profile(wasmHash: hash, counts: [:]))?.contains("no function of the module ran") == true)
        for share in [0, -1, 1.5] {
            let message = try refusal(Profile(wasmHash: hash, counts: [0: 1]), hotShare: share)
            #expect(message?.contains("the hot share must be above 0 and at most 1, not \(share)") == true, "\(message ?? "accepted")")
        }
        #expect(try refusal(Profile(wasmHash: hash, counts: [0: 1])) == nil)
    }

    /// A profile of a linked build counts the linked modules' functions too: it names them,
    /// and fits only the same modules linked.
    @Test func aLinkedBuildsProfileNamesItsLinkedModules() throws {
        let main = try wat2wasm("""
            (module
              (import "dep" "sum" (func $sum (param i32) (result i32)))
              (func (export "run") (param i32) (result i32) (call $sum (local.get 0))))
            """)
        let dep = try wat2wasm(Self.module)
        let module = try CompiledModule(wasm: main, linking: [("dep", dep)], options: CompileOptions(instrument: true))
        #expect(try Instance(module: module, store: Store()) { _ in nil }.call("run", [.i32(4)]) == [.i32(6)])
        let profile = try #require(module.profile)
        #expect(profile.linked == [Profile.Linked(name: "dep", wasmHash: module.linkedModules[0].wasmHash)])
        #expect(try Profile(text: profile.text()) == profile)
        // A name with the escapes' characters survives the text form.
        var odd = profile
        odd.linked = [Profile.Linked(name: "a\\b\nc d", wasmHash: profile.linked[0].wasmHash)]
        #expect(try Profile(text: odd.text()) == odd)
        func compile(_ links: [(name: String, wasm: [UInt8])]) throws -> String? {
            try withTemporaryDirectory { directory -> String? in
                let inputs = links.map { Compiler.LinkInput(name: $0.name, input: ModuleInput(bytes: $0.wasm)) }
                do {
                    try Compiler(options: CompileOptions(profile: profile))
                        .compile(ModuleInput(bytes: main), linking: inputs, to: directory.appendingPathComponent("out").path)
                    return nil
                } catch {
                    return "\(error)"
                }
            }
        }
        #expect(try compile([("dep", dep)]) == nil)
        let otherDep = try wat2wasm("(module (func (export \"sum\") (param i32) (result i32) (local.get 0)))")
        #expect(try compile([("dep", otherDep)])?.contains("profile: recorded for another module (wasm sha256 \(module.wasmHash) + dep ") == true)
        #expect(try compile([])?.contains("profile: recorded for another module") == true)
        var merged = profile
        #expect(throws: ProfileError.self) { try merged.merge(Profile(wasmHash: profile.wasmHash, counts: [0: 1])) }
    }
}
