import Foundation
import Testing
import Wasmc
import WasmcCompiler
import WasmcBackend
import WasmcModule
import WAT

/// Modules linked at compile time (`wasmc compile main.wasm --link NAME=dep.wasm`): one .so whose
/// imports from NAME are bound to the linked module's exports, each module keeping its own
/// memories, tables and globals, instantiated in dependency order.
@Suite struct LinkingTests {
    /// Compiles `main` with `links` (NAME, text) into a .so in `directory`; its path and report.
    static func link(_ main: String, _ links: [(String, String)], in directory: URL, options: CompileOptions = CompileOptions())
        throws -> (path: String, report: CompileReport)
    {
        let path = directory.appendingPathComponent("linked-\(UUID().uuidString).so").path
        let inputs = try links.map { Compiler.LinkInput(name: $0.0, input: ModuleInput(bytes: try wat2wasm($0.1), name: "\($0.0).wasm")) }
        let report = try Compiler(options: options).compile(ModuleInput(bytes: try wat2wasm(main), name: "main.wasm"), linking: inputs, to: path)
        return (path, report)
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try? process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    static func instantiate(_ path: String, imports: [String: [String: Extern]] = [:]) throws -> Instance {
        try Instance(module: try CompiledModule(path: path), store: Store()) { imports[$0.module]?[$0.name] }
    }

    static let scale = """
        (module
          (func (export "scale") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))
        """

    @Test(arguments: [0, 2])
    func callsAcrossModules(level: Int) throws {
        try withTemporaryDirectory { directory in
            let main = """
                (module
                  (import "dep" "scale" (func $scale (param i32) (result i32)))
                  (func (export "run") (param i32) (result i32) (i32.add (call $scale (local.get 0)) (i32.const 1))))
                """
            var options = CompileOptions()
            options.optimizationLevel = level
            let (path, report) = try Self.link(main, [("dep", Self.scale)], in: directory, options: options)
            #expect(report.warnings.isEmpty)
            let instance = try Self.instantiate(path)
            #expect(try instance.call("run", [.i32(5)]) == [.i32(16)])
            // Only the main module's exports are the artifact's.
            #expect(instance.function("scale") == nil)
            // The linked module's functions are named after it (perf, gdb).
            let so = try String(decoding: Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
            #expect(level == 0 || so.contains("wasm:dep.") || !so.contains("wasm:f1"))
        }
    }

    @Test(arguments: [nil, 1] as [Int?])
    func smallFunctionsInlineAcrossModules(partSize: Int?) throws {
        try withTemporaryDirectory { directory in
            // A loop calling another module's one-line function per element: at -O2 (which runs
            // no inliner of its own) the call is inlined, in a module compiled whole or in parts.
            let main = """
                (module
                  (import "dep" "scale" (func $scale (param i32) (result i32)))
                  (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
                    (block $done (loop $next
                      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                      (local.set $s (i32.add (local.get $s) (call $scale (local.get $i))))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br $next)))
                    (local.get $s)))
                """
            var options = CompileOptions()
            options.partSize = partSize
            let (path, _) = try Self.link(main, [("dep", Self.scale)], in: directory, options: options)
            #expect(try Self.instantiate(path).call("sum", [.i32(10)]) == [.i32(135)])
            options.output = .llvmIR
            options.partSize = nil
            let (irPath, _) = try Self.link(main, [("dep", Self.scale)], in: directory, options: options)
            let ir = try String(contentsOfFile: irPath, encoding: .utf8)
            let body = try #require(ir.range(of: "@\"wasm:f0\"(").map { String(ir[$0.lowerBound...].prefix { $0 != "}" }) })
            #expect(!body.contains("@\"wasm:dep.f0\""), "the call of dep.scale is inlined:\n\(body)")
            // The inlined callee's stack check merged with the caller's at entry (its frame is
            // part of the caller's now): one check, none in the loop, which LLVM then vectorizes.
            #expect(body.components(separatedBy: "@llvm.stacksave").count - 1 == 1, "one stack check:\n\(body)")
            #expect(body.contains(" x i32>"), "the loop is vectorized:\n\(body)")
        }
    }

    @Test func linkedModulesImportFromEachOtherInDependencyOrder() throws {
        try withTemporaryDirectory { directory in
            // b imports a; main imports b; each start function appends its letter to a log in
            // a's memory, which main exports: instantiation runs a, b, main in this order.
            let a = """
                (module
                  (memory (export "log") 1)
                  (global $n (mut i32) (i32.const 0))
                  (func $note (export "note") (param i32)
                    (i32.store8 (global.get $n) (local.get 0))
                    (global.set $n (i32.add (global.get $n) (i32.const 1))))
                  (func (export "twice") (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1)))
                  (func $start (call $note (i32.const 97)))
                  (start $start))
                """
            let b = """
                (module
                  (import "a" "note" (func $note (param i32)))
                  (import "a" "twice" (func $twice (param i32) (result i32)))
                  (func (export "quad") (param i32) (result i32) (call $twice (call $twice (local.get 0))))
                  (func $start (call $note (i32.const 98)))
                  (start $start))
                """
            let main = """
                (module
                  (import "b" "quad" (func $quad (param i32) (result i32)))
                  (import "a" "note" (func $note (param i32)))
                  (import "a" "log" (memory 1))
                  (export "log" (memory 0))
                  (func (export "quad") (param i32) (result i32) (call $quad (local.get 0)))
                  (func $start (call $note (i32.const 109)))
                  (start $start))
                """
            let (path, _) = try Self.link(main, [("b", b), ("a", a)], in: directory)
            let instance = try Self.instantiate(path)
            #expect(try instance.call("quad", [.i32(3)]) == [.i32(12)])
            // The artifact records what went into it: the main module's hash, and each linked one's.
            let module = try CompiledModule(path: path)
            #expect(module.wasmHash == Self.sha256(try wat2wasm(main)))
            #expect(module.linkedModules.map(\.name) == ["b", "a"])
            #expect(module.linkedModules.map(\.wasmHash) == [Self.sha256(try wat2wasm(b)), Self.sha256(try wat2wasm(a))])
            let log = try #require(instance.memory("log"))
            #expect(log.withUnsafeMutableBytes { Array($0[0..<4]) } == Array("abm\0".utf8))
        }
    }

    @Test func eachModuleKeepsItsOwnMemoryGlobalsAndData() throws {
        try withTemporaryDirectory { directory in
            let dep = """
                (module
                  (memory (export "weights") 1)
                  (data (i32.const 16) "\\01\\02\\03\\04")
                  (global (export "bias") i32 (i32.const 100))
                  (global $count (export "count") (mut i32) (i32.const 0))
                  (func (export "dot") (param $x i32) (result i32)
                    (global.set $count (i32.add (global.get $count) (i32.const 1)))
                    (i32.add (i32.mul (local.get $x) (i32.load (i32.const 16))) (global.get 0))))
                """
            let main = """
                (module
                  (import "dep" "dot" (func $dot (param i32) (result i32)))
                  (import "dep" "weights" (memory $w 1))
                  (import "dep" "count" (global $count (mut i32)))
                  (memory $own (export "mem") 1)
                  (func (export "run") (param i32) (result i32)
                    (i32.store $own (i32.const 16) (i32.const 7))
                    (i32.add (call $dot (local.get 0)) (i32.load8_u $w (i32.const 17))))
                  (func (export "count") (result i32) (global.get $count)))
                """
            let (path, _) = try Self.link(main, [("dep", dep)], in: directory)
            let instance = try Self.instantiate(path)
            // 2 * 0x04030201 + 100 + 2: dep reads its own memory, not main's (which holds 7 there).
            #expect(try instance.call("run", [.i32(2)]) == [.i32(2 * 0x0403_0201 + 100 + 2)])
            #expect(try instance.call("run", [.i32(0)]) == [.i32(102)])
            #expect(try instance.call("count", []) == [.i32(2)])
            let own = try #require(instance.memory("mem"))
            #expect(own.withUnsafeMutableBytes { Array($0[16..<20]) } == [7, 0, 0, 0])
        }
    }

    @Test func importsNobodyProvidesAreMergedAndCallIndirectKeepsItsChecks() throws {
        try withTemporaryDirectory { directory in
            let dep = """
                (module
                  (import "env" "log" (func $log (param i32)))
                  (type $unary (func (param i32) (result i32)))
                  (table (export "ops") 2 funcref)
                  (elem (i32.const 0) $inc $neg)
                  (func $inc (type $unary) (call $log (local.get 0)) (i32.add (local.get 0) (i32.const 1)))
                  (func $neg (param i64) (result i64) (i64.sub (i64.const 0) (local.get 0))))
                """
            let main = """
                (module
                  (import "env" "log" (func $log (param i32)))
                  (import "dep" "ops" (table 2 funcref))
                  (type $unary (func (param i32) (result i32)))
                  (func (export "apply") (param i32 i32) (result i32)
                    (call $log (i32.const -1))
                    (call_indirect (type $unary) (local.get 1) (local.get 0))))
                """
            let (path, _) = try Self.link(main, [("dep", dep)], in: directory)
            let module = try CompiledModule(path: path)
            #expect(module.imports.count == 1)
            final class Log: @unchecked Sendable { var values: [Int32] = [] }
            let log = Log()
            let function = Function(type: .init(parameters: [.i32], results: [])) { arguments in
                if case .i32(let value) = arguments[0] { log.values.append(value) }
                return []
            }
            let instance = try Instance(module: module, store: Store()) { _ in .function(function) }
            #expect(try instance.call("apply", [.i32(0), .i32(41)]) == [.i32(42)])
            #expect(log.values == [-1, 41])
            #expect(trapOf { try instance.call("apply", [.i32(1), .i32(0)]) } == .indirectCallTypeMismatch)
            #expect(trapOf { try instance.call("apply", [.i32(2), .i32(0)]) } == .undefinedElement)
        }
    }

    @Test func aTrapInALinkedModulesStartFailsInstantiation() throws {
        try withTemporaryDirectory { directory in
            let dep = """
                (module (func (export "f")) (func $start (unreachable)) (start $start))
                """
            let main = """
                (module (import "dep" "f" (func)) (func (export "g") (call 0)))
                """
            let (path, _) = try Self.link(main, [("dep", dep)], in: directory)
            #expect(throws: (any Error).self) { try Self.instantiate(path) }
        }
    }

    @Test func errorsNameTheModulesAndTheItem() throws {
        try withTemporaryDirectory { directory in
            func failure(_ main: String, _ links: [(String, String)]) -> String {
                do {
                    _ = try Self.link(main, links, in: directory)
                    return "linked"
                } catch {
                    return "\(error)"
                }
            }
            let importsScale = """
                (module (import "dep" "scale" (func (param i32) (result i32))))
                """
            #expect(failure(importsScale, [("dep", "(module (func (export \"scale\") (param f32) (result f32) (local.get 0)))")])
                == "main imports dep.scale as (i32)->i32, dep exports (f32)->f32")
            #expect(failure(importsScale, [("dep", "(module)")]) == "main imports dep.scale, which dep does not export")
            #expect(failure(importsScale, [("dep", "(module (global (export \"scale\") i32 (i32.const 0)))")])
                == "main imports dep.scale as (i32)->i32, dep exports a global of that name")
            #expect(failure(importsScale, [("dep", Self.scale), ("dep", Self.scale)]) == "--link dep: two linked modules are called dep")
            let a = "(module (import \"b\" \"f\" (func)) (func (export \"g\")))"
            let b = "(module (import \"a\" \"g\" (func)) (func (export \"f\")))"
            #expect(failure("(module (import \"a\" \"g\" (func)))", [("a", a), ("b", b)])
                == "the linked modules import from each other in a cycle: a → b → a")
            let memory = "(module (import \"dep\" \"m\" (memory 2)))"
            #expect(failure(memory, [("dep", "(module (memory (export \"m\") 1))")])
                == "main imports dep.m as a memory of 2.. pages, dep exports a memory of 1.. pages")
            let twice = """
                (module (import "env" "f" (func (param i32))) (import "dep" "scale" (func (param i32) (result i32))))
                """
            #expect(failure(twice, [("dep", "(module (import \"env\" \"f\" (func)) (func (export \"scale\") (param i32) (result i32) (local.get 0)))")])
                == "main imports env.f as (i32)->(), dep imports it as ()->()")
            // A linked module nothing imports is left out, with a warning.
            let (_, report) = try Self.link(importsScale, [("dep", Self.scale), ("other", Self.scale)], in: directory)
            #expect(report.warnings == ["--link other: nothing imports from other; it is left out"])
        }
    }

    /// The Swift shim compiles and links from bytes (as the spec runner's --link-registered
    /// does); a link error is a `.link` error there, as at run time, and the cache keeps linked
    /// and unlinked compiles apart.
    @Test func theSwiftShimLinksFromBytes() throws {
        try withTemporaryDirectory { directory in
            let main = try wat2wasm("""
                (module
                  (import "dep" "scale" (func $scale (param i32) (result i32)))
                  (func (export "run") (param i32) (result i32) (call $scale (local.get 0))))
                """)
            let dep = try wat2wasm(Self.scale)
            let cache = CompileCache(directory: directory.path)
            let linked = try CompiledModule(wasm: main, linking: [("dep", dep)], cache: cache)
            #expect(!linked.isFromCache)
            #expect(linked.linkedModules.map(\.name) == ["dep"])
            #expect(try Instance(module: linked, store: Store()) { _ in nil }.call("run", [.i32(7)]) == [.i32(21)])
            #expect(try CompiledModule(wasm: main, linking: [("dep", dep)], cache: cache).isFromCache)
            // Unlinked, the same bytes are another compile, with an import to satisfy.
            let unlinked = try CompiledModule(wasm: main, cache: cache)
            #expect(!unlinked.isFromCache)
            #expect(unlinked.linkedModules.isEmpty)
            do {
                _ = try CompiledModule(wasm: main, linking: [("dep", try wat2wasm("(module)"))])
                Issue.record("linked without the export")
            } catch let error as WasmcError {
                guard case .link = error.kind else {
                    Issue.record("not a link error: \(error)")
                    return
                }
                #expect(error.message == "the module imports dep.scale, which dep does not export")
            }
        }
    }

    /// Module names are compared byte by byte, as wasm compares names: "\u{C5}" and "A\u{30A}"
    /// are canonically equivalent strings but different names.
    @Test func namesAreComparedByTheirBytes() throws {
        try withTemporaryDirectory { directory in
            let main = """
                (module
                  (import "\\c3\\85" "scale" (func $scale (param i32) (result i32)))
                  (func (export "run") (param i32) (result i32) (call $scale (local.get 0))))
                """
            let (_, report) = try Self.link(main, [("A\u{30A}", Self.scale)], in: directory)
            #expect(report.warnings == ["--link A\u{30A}: nothing imports from A\u{30A}; it is left out"])
            let (path, precomposed) = try Self.link(main, [("\u{C5}", Self.scale)], in: directory)
            #expect(precomposed.warnings.isEmpty)
            #expect(try Self.instantiate(path).call("run", [.i32(2)]) == [.i32(6)])
        }
    }
}
