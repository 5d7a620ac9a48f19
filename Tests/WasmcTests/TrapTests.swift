import Testing
import Wasmc
import WasmcBackend

/// Every trap kind comes back as a typed error, the host process survives, and calls keep working.
@Suite("Traps")
struct TrapTests {
    static let module = """
        (module
          (memory 1 2)
          (type $v_i (func (result i32)))
          (type $i_i (func (param i32) (result i32)))
          (table 4 funcref)
          (elem (i32.const 0) $seven $id)
          (func $seven (type $v_i) (i32.const 7))
          (func $id (type $i_i) (local.get 0))
          (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
          (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
          ;; Stores back what it loaded: a no-op LLVM would delete, with the trap (KeepNoopStores.cpp).
          (func (export "store_loaded") (param i32) (i32.store (local.get 0) (i32.load (local.get 0))))
          (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
          (func (export "unreachable") (unreachable))
          (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
          (func $recurse (export "recurse") (param i32) (result i32)
            (i32.add (i32.const 1) (call $recurse (local.get 0))))
          (func (export "call_v_i") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        )
        """

    @Test(arguments: CompileOptions.BoundsChecks.allCases)
    func memoryOutOfBounds(mode: CompileOptions.BoundsChecks) throws {
        let instance = try instantiate(Self.module, options: CompileOptions(boundsChecks: mode))
        #expect(try instance.call("load", [.i32(65532)]) == [.i32(0)])
        #expect(trapOf { try instance.call("load", [.i32(65533)]) } == .memoryOutOfBounds)
        #expect(trapOf { try instance.call("load", [.i32(-1)]) } == .memoryOutOfBounds)
        #expect(trapOf { try instance.call("store", [.i32(65536), .i32(1)]) } == .memoryOutOfBounds)
        #expect(try instance.call("store_loaded", [.i32(100)]) == [])
        #expect(trapOf { try instance.call("store_loaded", [.i32(65536)]) } == .memoryOutOfBounds)
        // After growing, the same address is inside.
        #expect(try instance.call("grow", [.i32(1)]) == [.i32(1)])
        _ = try instance.call("store", [.i32(65536), .i32(42)])
        #expect(try instance.call("load", [.i32(65536)]) == [.i32(42)])
        #expect(try instance.call("grow", [.i32(1)]) == [.i32(-1)], "the declared maximum is 2 pages")
    }

    @Test func integerTraps() throws {
        let instance = try instantiate(Self.module)
        #expect(try instance.call("div_s", [.i32(-7), .i32(2)]) == [.i32(-3)])
        #expect(trapOf { try instance.call("div_s", [.i32(1), .i32(0)]) } == .integerDivideByZero)
        #expect(trapOf { try instance.call("div_s", [.i32(Int32.min), .i32(-1)]) } == .integerOverflow)
        #expect(try instance.call("rem_s", [.i32(Int32.min), .i32(-1)]) == [.i32(0)])
        #expect(trapOf { try instance.call("trunc", [.f32(.nan)]) } == .invalidConversion)
        #expect(trapOf { try instance.call("trunc", [.f32(3e9)]) } == .integerOverflow)
        #expect(try instance.call("trunc", [.f32(-2147483648)]) == [.i32(Int32.min)])
        #expect(trapOf { try instance.call("unreachable", []) } == .unreachable)
    }

    @Test func stackExhaustionIsATrap() throws {
        let instance = try instantiate(Self.module)
        #expect(trapOf { try instance.call("recurse", [.i32(0)]) } == .callStackExhausted)
        // And again: the stack limit and signal state are restored after each trap.
        #expect(trapOf { try instance.call("recurse", [.i32(0)]) } == .callStackExhausted)
        #expect(try instance.call("div_s", [.i32(6), .i32(3)]) == [.i32(2)])
    }

    @Test func indirectCallChecks() throws {
        let instance = try instantiate(Self.module)
        #expect(try instance.call("call_v_i", [.i32(0)]) == [.i32(7)])
        #expect(trapOf { try instance.call("call_v_i", [.i32(1)]) } == .indirectCallTypeMismatch)
        #expect(trapOf { try instance.call("call_v_i", [.i32(2)]) } == .uninitializedElement)
        #expect(trapOf { try instance.call("call_v_i", [.i32(4)]) } == .undefinedElement)
    }

    @Test func manyTrapsInARow() throws {
        let instance = try instantiate(Self.module)
        for i in 0..<2000 {
            #expect(trapOf { try instance.call("load", [.i32(Int32(70000 + i))]) } == .memoryOutOfBounds)
        }
        #expect(try instance.call("load", [.i32(0)]) == [.i32(0)])
    }
}
