import Testing
import Wasmc
import WasmcBackend

@Suite struct TypedReferenceTests {
    static let module = """
        (module
          (type $t (func (result i32)))
          (type $u (func (param i32) (result i32)))
          (func $f (type $t) (i32.const 7))
          (func $g (type $u) (local.get 0))
          (elem declare func $f $g)
          (func (export "f") (result (ref $t)) (ref.func $f))
          (func (export "g") (result (ref $u)) (ref.func $g))
          (func (export "call") (param (ref $t)) (result i32) (call_ref $t (local.get 0)))
          (func (export "call_nullable") (param (ref null $t)) (result i32) (call_ref $t (local.get 0)))
          (global (export "typed") (mut (ref null $t)) (ref.null $t))
          (global (export "nonnull") (mut (ref func)) (ref.func $f)))
        """

    @Test func callRefCallsAndChecksForNull() throws {
        let instance = try instantiate3(Self.module, store: Store())
        let f = try instance.call("f", [])
        #expect(try instance.call("call", f) == [.i32(7)])
        #expect(try instance.call("call_nullable", f) == [.i32(7)])
        #expect(trapOf { try instance.call("call_nullable", [.funcref(nil)]) } == .nullFunctionReference)
    }

    @Test func hostArgumentsOfTypedReferencesAreChecked() throws {
        let instance = try instantiate3(Self.module, store: Store())
        // A null for a non-null reference, a function of another type for (ref $t).
        #expect(trapOf { try instance.call("call", [.funcref(nil)]) } == .nullReference)
        let g = try instance.call("g", [])
        #expect(trapOf { try instance.call("call", g) } == .indirectCallTypeMismatch)
        #expect(trapOf { try instance.call("call_nullable", g) } == .indirectCallTypeMismatch)
    }

    @Test func hostWritesToTypedGlobalsAreChecked() throws {
        let instance = try instantiate3(Self.module, store: Store())
        let typed = try #require(instance.global("typed"))
        let nonNull = try #require(instance.global("nonnull"))
        #expect(typed.typeKey == "(ref null [func(->i32)])")
        #expect(nonNull.typeKey == "(ref func)")
        try typed.set(.funcref(nil))
        #expect(throws: WasmcError.self) { try typed.set(try instance.call("f", [])[0]) }
        #expect(throws: WasmcError.self) { try nonNull.set(.funcref(nil)) }
        try nonNull.set(try instance.call("g", [])[0])
    }
}
