import Foundation
import WAT
import Wasmc
import WasmcCompiler
import Testing

/// The Swift WASI API: configuration, stdio captured in buffers, exit codes, link errors. The
/// WASI functions themselves are tested by scripts/test-wasi (C programs, wasi-testsuite, escapes).
@Suite("WASI for Swift embedders")
struct WASITests {
    /// Writes "hello <argv[1]>\n" to stdout, then its environment's first entry to stderr, and exits with 7.
    static let program = """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "hello ")
          (func $strlen (param $p i32) (result i32) (local $n i32)
            (block $done (loop $next
              (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (br $next)))
            (local.get $n))
          (func $write (param $fd i32) (param $p i32) (param $n i32)
            (i32.store (i32.const 100) (local.get $p))
            (i32.store (i32.const 104) (local.get $n))
            (drop (call $fd_write (local.get $fd) (i32.const 100) (i32.const 1) (i32.const 108))))
          (func (export "_start")
            (drop (call $args_get (i32.const 200) (i32.const 1000)))
            (call $write (i32.const 1) (i32.const 0) (i32.const 6))
            (call $write (i32.const 1) (i32.load (i32.const 204)) (call $strlen (i32.load (i32.const 204))))
            (i32.store8 (i32.const 120) (i32.const 10))
            (call $write (i32.const 1) (i32.const 120) (i32.const 1))
            (drop (call $environ_get (i32.const 300) (i32.const 2000)))
            (call $write (i32.const 2) (i32.load (i32.const 300)) (call $strlen (i32.load (i32.const 300))))
            (call $proc_exit (i32.const 7))
            (unreachable)))
        """

    @Test("run captures output and the exit code")
    func runCapturesOutputAndExitCode() throws {
        let module = try CompiledModule(wasm: try wat2wasm(Self.program))
        var configuration = WASI.Configuration(arguments: ["prog", "world"], environment: [("KEY", "value")])
        configuration.stdout = .buffer
        configuration.stderr = .buffer
        let wasi = try WASI(configuration)
        let instance = try Instance(module: module, store: Store(), wasi: wasi)
        #expect(try wasi.run(instance) == 7)
        #expect(String(decoding: wasi.captured(.stdout), as: UTF8.self) == "hello world\n")
        #expect(String(decoding: wasi.captured(.stderr), as: UTF8.self) == "KEY=value")
    }

    @Test("proc_exit from an invoked export is an exit, not a trap")
    func procExitFromInvokedExport() throws {
        let module = try CompiledModule(wasm: try wat2wasm(Self.program))
        var configuration = WASI.Configuration(arguments: ["prog", "x"])
        configuration.stdout = .buffer
        configuration.stderr = .closed
        let wasi = try WASI(configuration)
        let instance = try Instance(module: module, store: Store(), wasi: wasi)
        #expect(wasi.exitCode == nil)
        #expect(throws: Trap.hostError) { try instance.call("_start", []) }
        #expect(wasi.exitCode == 7)
        #expect(String(decoding: wasi.captured(.stdout), as: UTF8.self) == "hello x\n")
    }

    @Test("an unknown WASI function is a link error")
    func unknownWASIFunction() throws {
        let module = try CompiledModule(wasm: try wat2wasm("""
            (module (import "wasi_snapshot_preview1" "fd_teleport" (func (param i32) (result i32))))
            """))
        let wasi = try WASI(WASI.Configuration())
        let error = #expect(throws: WasmcError.self) { try Instance(module: module, store: Store(), wasi: wasi) }
        guard let error, case .link = error.kind else {
            Issue.record("expected a link error, got \(String(describing: error))")
            return
        }
        #expect(error.message.contains("fd_teleport"), "\(error.message)")
    }

    @Test("other imports come from resolve")
    func otherImportsComeFromResolve() throws {
        let module = try CompiledModule(wasm: try wat2wasm("""
            (module
              (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
              (import "env" "answer" (func $answer (result i32)))
              (func (export "f") (result i32) (call $answer)))
            """))
        let wasi = try WASI(WASI.Configuration())
        let answer = Function(type: .init(parameters: [], results: [.i32])) { _ in [.i32(42)] }
        let instance = try Instance(module: module, store: Store(), wasi: wasi) { $0.name == "answer" ? .function(answer) : nil }
        #expect(try instance.call("f", []) == [.i32(42)])
        #expect(throws: WasmcError.self) { try Instance(module: module, store: Store(), wasi: wasi) }
    }

    @Test("a missing preopen is an error")
    func missingPreopen() {
        var configuration = WASI.Configuration()
        configuration.preopens = [.init(host: "/nonexistent/wasmc-test-dir", guest: "/")]
        let error = #expect(throws: WasmcError.self) { try WASI(configuration) }
        #expect(error?.message.contains("/nonexistent/wasmc-test-dir") == true, "\(String(describing: error))")
    }
}
