import Foundation
import Testing
import Wasmc
import WasmcBackend
import WAT

@Suite("Host functions and linking")
struct HostAndLinkingTests {
    @Test func hostFunctionCalledFromWasm() throws {
        let calls = Counter()
        let add = Function(type: .init(parameters: [.i32, .i32], results: [.i32])) { args in
            calls.increment()
            guard case .i32(let a) = args[0], case .i32(let b) = args[1] else { return [] }
            return [.i32(a &+ b)]
        }
        let instance = try instantiate(
            """
            (module
              (import "env" "add" (func $add (param i32 i32) (result i32)))
              (func (export "twice") (param i32) (result i32)
                (call $add (local.get 0) (call $add (local.get 0) (i32.const 1)))))
            """, imports: ["env": ["add": .function(add)]])
        #expect(try instance.call("twice", [.i32(20)]) == [.i32(41)])
        #expect(calls.value == 2)
    }

    @Test func hostErrorsBecomeTraps() throws {
        struct Failure: Error {}
        let failing = Function(type: .init(parameters: [], results: [])) { _ in throw Failure() }
        let trapping = Function(type: .init(parameters: [], results: [])) { _ in throw Trap.unreachable }
        let instance = try instantiate(
            """
            (module
              (import "env" "fail" (func $fail))
              (import "env" "trap" (func $trap))
              (func (export "fail") (call $fail))
              (func (export "trap") (call $trap)))
            """, imports: ["env": ["fail": .function(failing), "trap": .function(trapping)]])
        #expect(trapOf { try instance.call("fail", []) } == .hostError)
        #expect(trapOf { try instance.call("trap", []) } == .unreachable)
    }

    @Test func hostFunctionCallsBackIntoWasm() throws {
        let store = Store()
        let callee = try instantiate(
            "(module (func (export \"square\") (param i64) (result i64) (i64.mul (local.get 0) (local.get 0))))",
            store: store)
        let square = try #require(callee.function("square"))
        let viaHost = Function(type: .init(parameters: [.i64], results: [.i64])) { args in
            try square.call(args)
        }
        let caller = try instantiate(
            """
            (module
              (import "env" "square" (func $sq (param i64) (result i64)))
              (func (export "fourth") (param i64) (result i64) (call $sq (call $sq (local.get 0)))))
            """, store: store, imports: ["env": ["square": .function(viaHost)]])
        #expect(try caller.call("fourth", [.i64(3)]) == [.i64(81)])
    }

    @Test func instancesShareFunctionsMemoriesAndGlobals() throws {
        let store = Store()
        let provider = try instantiate(
            """
            (module
              (memory (export "mem") 1)
              (global (export "counter") (mut i32) (i32.const 10))
              (func (export "bump") (result i32)
                (global.set 0 (i32.add (global.get 0) (i32.const 1)))
                (global.get 0)))
            """, store: store)
        let imports: [String: [String: Extern]] = [
            "p": ["mem": provider.export("mem")!, "counter": provider.export("counter")!, "bump": provider.export("bump")!]
        ]
        let consumer = try instantiate(
            """
            (module
              (import "p" "mem" (memory 1))
              (import "p" "counter" (global $c (mut i32)))
              (import "p" "bump" (func $bump (result i32)))
              (func (export "run") (result i32)
                (i32.store (i32.const 8) (call $bump))
                (i32.add (global.get $c) (i32.load (i32.const 8)))))
            """, store: store, imports: imports)
        #expect(try consumer.call("run", []) == [.i32(22)])
        #expect(try provider.memory("mem")!.read(offset: 8, count: 4) == [11, 0, 0, 0])
        #expect(provider.global("counter")!.value == .i32(11))
    }

    @Test func linkErrorsNameTheImport() throws {
        let wrong = Function(type: .init(parameters: [.i64], results: [])) { _ in [] }
        #expect {
            try instantiate("(module (import \"env\" \"f\" (func (param i32))))", imports: ["env": ["f": .function(wrong)]])
        } throws: { error in
            guard let error = error as? WasmcError, case .link = error.kind else { return false }
            return error.message.contains("\"env\".\"f\"")
        }
        #expect {
            try instantiate("(module (import \"env\" \"missing\" (func)))")
        } throws: { error in
            (error as? WasmcError)?.message.contains("unknown import") == true
        }
    }

    @Test func multiValueAndHostMemoryAccess() throws {
        let instance = try instantiate(
            """
            (module
              (memory (export "memory") 1)
              (func (export "swap") (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
              (func (export "sum") (param i32 i32) (result i32) (local $acc i32)
                (block $done (loop $next
                  (br_if $done (i32.eqz (local.get 1)))
                  (local.set $acc (i32.add (local.get $acc) (i32.load8_u (local.get 0))))
                  (local.set 0 (i32.add (local.get 0) (i32.const 1)))
                  (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
                  (br $next)))
                (local.get $acc)))
            """)
        #expect(try instance.call("swap", [.i32(1), .i64(2)]) == [.i64(2), .i32(1)])
        let memory = try #require(instance.memory("memory"))
        try memory.write(offset: 100, bytes: [1, 2, 3, 4, 250])
        #expect(try instance.call("sum", [.i32(100), .i32(5)]) == [.i32(260)])
        #expect(throws: Trap.self) { try memory.write(offset: 65535, bytes: [1, 2]) }
    }

    @Test func artifactsLoadSideBySide() throws {
        try withTemporaryDirectory { directory in
            var results: [Value] = []
            for n in 1...3 {
                let path = directory.appendingPathComponent("m\(n).so").path
                try Compiler().compile(try wat2wasm("(module (func (export \"n\") (result i32) (i32.const \(n))))"), to: path)
                let module = try CompiledModule(path: path)
                results += try Instance(module: module, store: Store(), imports: []).call("n", [])
            }
            #expect(results == [.i32(1), .i32(2), .i32(3)])
        }
    }
}

final class Counter: @unchecked Sendable {
    private(set) var value = 0
    func increment() { value += 1 }
}
