import Testing
import WasmcModule
import WasmcValidation

/// Function bodies: the operand/control stack algorithm and the instruction rules.
@Suite("Function body validation")
struct FunctionValidationTests {
    // MARK: Operand stack

    @Test func resultTypes() {
        expectValid("(module (func (result i32) (i32.const 0)))")
        expectInvalid("(module (func (result i32) (i64.const 0)))", "type mismatch")
        expectInvalid("(module (func (result i32)))", "type mismatch")
        expectInvalid("(module (func (i32.const 0)))", "type mismatch")
        expectInvalid("(module (func (result i32) (i32.const 0) (i32.const 0)))", "type mismatch")
        expectInvalid("(module (func (result i32) (i32.add (i32.const 0) (f32.const 0))))", "type mismatch")
    }

    @Test func errorsPointAtTheInstructionAndFunction() throws {
        // Function 1 (after one import) has `i64.const 0; i32.eqz` at its second instruction.
        let bytes = Binary.module(
            imports: [[0x01, 0x6D, 0x01, 0x66, 0x00, 0x00]],
            bodies: [[0x42, 0x00, 0x45, 0x1A, 0x0B]])
        let error = try #require(expectInvalid(bytes: bytes, "type mismatch"))
        #expect(error.functionIndex == 1)
        let offset = try #require(error.offset)
        #expect(bytes[offset] == 0x45, "offset \(offset) should point at i32.eqz")
    }

    // MARK: Blocks

    @Test func blockTypes() {
        expectValid(
            #"""
            (module
              (type $pair (func (param i32) (result i32 i64)))
              (func (result i32 i64)
                (i32.const 1)
                (block (type $pair) (i64.extend_i32_u (i32.const 2)))
              )
              (func (result i32)
                (block (result i32) (i32.const 1))
                (loop (param i32) (result i32) (i32.eqz))
              )
            )
            """#)
        expectInvalid("(module (func (result i32) (block (result i32) (i64.const 1))))", "type mismatch")
        expectInvalid("(module (func (block (result i32) (nop)) (drop)))", "type mismatch")
        // A block sees only its parameters: the outer operand is out of reach.
        expectInvalid("(module (func (i32.const 1) (block (drop)) (drop)))", "type mismatch")
        // Values left over at the end of a block.
        expectInvalid("(module (func (block (i32.const 1))))", "type mismatch")
    }

    @Test func blockTypeWithUnknownTypeIndex() {
        // block (type 4) end
        let bytes = Binary.module(bodies: [[0x02, 0x04, 0x0B, 0x0B]])
        expectInvalid(bytes: bytes, "unknown type 4")
    }

    @Test func ifWithoutElse() {
        expectValid("(module (func (if (i32.const 1) (then (nop)))))")
        // Parameters equal to results: the missing else passes them through.
        expectValid(
            #"""
            (module
              (type $t (func (param i32) (result i32)))
              (func (param i32) (result i32)
                (local.get 0)
                (if (type $t) (i32.const 1) (then (i32.const 2) (i32.add)))))
            """#)
        expectInvalid(
            "(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)))))", "type mismatch")
        expectInvalid("(module (func (if (f32.const 1) (then))))", "type mismatch")
    }

    @Test func ifWithElse() {
        expectValid(
            "(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)) (else (i32.const 2)))))")
        expectInvalid(
            "(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)) (else (i64.const 2)))))",
            "type mismatch")
        expectInvalid(
            "(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)) (else))))", "type mismatch")
    }

    // MARK: Branches and unreachable code

    @Test func unreachableCodeIsPolymorphic() {
        expectValid("(module (func (result i32) (unreachable) (i32.add)))")
        expectValid("(module (func (result i32) (return (i32.const 1)) (i64.eqz)))")
        expectValid("(module (func (block (br 0) (drop) (drop))))")
        expectValid("(module (func (result f64) (unreachable) (select)))")
        // Types pushed after the branch still count.
        expectInvalid("(module (func (result i32) (unreachable) (i64.const 0) (i32.add)))", "type mismatch")
        expectInvalid("(module (func (unreachable) (i32.const 0)))", "type mismatch")
        // Unreachable code ends with its block.
        expectInvalid("(module (func (block (unreachable)) (i32.add) (drop)))", "type mismatch")
    }

    @Test func branches() {
        expectValid("(module (func (result i32) (block (result i32) (br 0 (i32.const 1)))))")
        expectValid("(module (func (loop (br_if 0 (i32.const 1)))))")
        expectValid("(module (func (param i32) (result i32) (local.get 0) (loop (param i32) (result i32) (br 0))))")
        expectValid("(module (func (result i32) (block (result i32) (br_if 0 (i32.const 1) (i32.const 1)))))")
        expectInvalid("(module (func (result i32) (block (result i32) (br 0 (i64.const 1)))))", "type mismatch")
        expectInvalid("(module (func (block (br_if 0 (i64.const 1)))))", "type mismatch")
        // A loop's label takes the loop's parameters, not its results.
        expectValid("(module (func (result i32) (loop (result i32) (br 0))))")
        expectInvalid("(module (func (result i32) (block (result i32) (br 0))))", "type mismatch")
        expectInvalid(
            "(module (func (param i32) (result i32) (local.get 0) (loop (param i32) (result i32) (br 0 (f32.const 1)))))",
            "type mismatch")
        expectValid("(module (func (result i32) (return (i32.const 1))))")
        expectInvalid("(module (func (result i32) (return (i64.const 1))))", "type mismatch")
    }

    @Test func unknownLabel() {
        // block; br 2; end
        expectInvalid(bytes: Binary.module(bodies: [[0x02, 0x40, 0x0C, 0x02, 0x0B, 0x0B]]), "unknown label 2")
        // br_table with a target out of range
        expectInvalid(bytes: Binary.module(bodies: [[0x41, 0x00, 0x0E, 0x01, 0x05, 0x00, 0x0B]]), "unknown label 5")
    }

    @Test func brTable() {
        expectValid(
            "(module (func (result i32) (block (result i32) (block (result i32) (br_table 0 1 (i32.const 7) (i32.const 0))))))")
        // Targets with different arities.
        expectInvalid(
            "(module (func (block (result i32) (block (br_table 0 1 (i32.const 0) (i32.const 0))) (i32.const 1)) (drop)))",
            "type mismatch")
        // Same arity, different types, reachable operand: mismatch.
        expectInvalid(
            """
            (module (func
              (block (result f32) (block (result i32) (br_table 0 1 (i32.const 0) (i32.const 0))) (drop) (f32.const 0))
              (drop)))
            """,
            "type mismatch")
        // Same arity, different types, operand from the polymorphic stack: valid in 2.0.
        expectValid(
            """
            (module (func
              (block (result f32) (block (result i32) (unreachable) (br_table 0 1 (i32.const 0))) (drop) (f32.const 0))
              (drop)))
            """)
    }

    // MARK: Parametric

    @Test func select() {
        expectValid("(module (func (result i64) (select (i64.const 1) (i64.const 2) (i32.const 0))))")
        expectValid("(module (func (result v128) (select (v128.const i64x2 0 0) (v128.const i64x2 0 0) (i32.const 0))))")
        expectValid(
            "(module (func (result funcref) (select (result funcref) (ref.null func) (ref.null func) (i32.const 0))))")
        expectInvalid("(module (func (result i64) (select (i64.const 1) (i32.const 2) (i32.const 0))))", "type mismatch")
        expectInvalid("(module (func (drop (select (ref.null func) (ref.null func) (i32.const 0)))))", "type mismatch")
        expectInvalid("(module (func (unreachable) (ref.null func) (i32.const 0) (select) (drop)))", "type mismatch")
        expectInvalid(
            "(module (func (drop (select (result i32) (i64.const 1) (i64.const 2) (i32.const 0)))))", "type mismatch")
    }

    @Test func typedSelectWithTwoTypes() {
        // i32.const 0 (x3); select (result i32 i32) — the text format cannot encode this.
        let body: [UInt8] = [0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0x1C, 0x02, 0x7F, 0x7F, 0x1A, 0x0B]
        expectInvalid(bytes: Binary.module(bodies: [body]), "invalid result arity")
    }

    // MARK: Variables

    @Test func locals() {
        expectValid("(module (func (param i32) (local i64) (local.set 1 (i64.extend_i32_s (local.get 0)))))")
        expectValid("(module (func (param f32) (result f32) (local.tee 0 (f32.const 1))))")
        expectInvalid("(module (func (param i32) (local.set 0 (i64.const 1))))", "type mismatch")
        // local.get 5 with one local
        let bytes = Binary.module(bodies: [[0x20, 0x05, 0x1A, 0x0B]], locals: [[0x01, 0x01, 0x7F]])
        expectInvalid(bytes: bytes, "unknown local 5")
    }

    @Test func globals() {
        expectValid("(module (global $g (mut i32) (i32.const 0)) (func (global.set $g (i32.const 1))))")
        expectInvalid("(module (global $g i32 (i32.const 0)) (func (global.set $g (i32.const 1))))", "global is immutable")
        expectInvalid(#"(module (import "m" "g" (global $g i32)) (func (global.set $g (i32.const 1))))"#, "global is immutable")
        expectInvalid("(module (global $g (mut i32) (i32.const 0)) (func (global.set $g (f32.const 1))))", "type mismatch")
        // Bodies see every global, defined ones included.
        expectValid("(module (global $g i64 (i64.const 0)) (func (result i64) (global.get $g)))")
        // global.get 3 in a module without globals
        expectInvalid(bytes: Binary.module(bodies: [[0x23, 0x03, 0x1A, 0x0B]]), "unknown global 3")
    }

    // MARK: Calls

    @Test func calls() {
        expectValid("(module (func $f (param i32) (result i64) (i64.const 0)) (func (result i64) (call $f (i32.const 1))))")
        expectInvalid("(module (func $f (param i32)) (func (call $f (i64.const 1))))", "type mismatch")
        // call 9
        expectInvalid(bytes: Binary.module(bodies: [[0x10, 0x09, 0x0B]]), "unknown function 9")
    }

    @Test func callIndirect() {
        expectValid(
            "(module (type $t (func (param i32))) (table 1 funcref) (func (call_indirect (type $t) (i32.const 1) (i32.const 0))))")
        expectInvalid(
            "(module (type $t (func)) (table 1 externref) (func (call_indirect (type $t) (i32.const 0))))", "type mismatch")
        expectInvalid(
            "(module (type $t (func)) (table 1 funcref) (func (call_indirect (type $t) (i64.const 0))))", "type mismatch")
        // call_indirect (type 0) (table 0) without a table
        expectInvalid(bytes: Binary.module(bodies: [[0x41, 0x00, 0x11, 0x00, 0x00, 0x0B]]), "unknown table 0")
        // call_indirect (type 7) (table 0)
        let table = Binary.section(4, [0x01, 0x70, 0x00, 0x01])
        expectInvalid(
            bytes: Binary.module(sections: [table], bodies: [[0x41, 0x00, 0x11, 0x07, 0x00, 0x0B]]), "unknown type 7")
    }

    // MARK: Memory

    @Test func memoryInstructions() {
        expectValid(
            """
            (module (memory 1) (func
              (drop (i64.load32_u offset=4 align=4 (i32.const 0)))
              (f64.store align=8 (i32.const 0) (f64.const 1))
              (drop (memory.grow (memory.size)))
              (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))
              (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))))
            """)
        expectInvalid("(module (memory 1) (func (drop (i32.load align=8 (i32.const 0)))))", "alignment must not be larger than natural")
        expectInvalid("(module (memory 1) (func (i32.store16 align=4 (i32.const 0) (i32.const 0))))", "alignment must not be larger than natural")
        expectInvalid("(module (memory 1) (func (drop (i32.load (i64.const 0)))))", "type mismatch")
        expectInvalid("(module (memory 1) (func (i64.store (i32.const 0) (i32.const 0))))", "type mismatch")
        expectInvalid("(module (func (drop (i32.load (i32.const 0)))))", "unknown memory 0")
        expectInvalid("(module (func (drop (memory.size))))", "unknown memory 0")
        expectInvalid("(module (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))", "unknown memory 0")
    }

    @Test func alignmentExponentOf32IsMalformed() {
        // i32.const 0; i32.load align=2^32; drop
        let bytes = Binary.module(sections: [Binary.memory()], bodies: [[0x41, 0x00, 0x28, 0x20, 0x00, 0x1A, 0x0B]])
        expectInvalid(bytes: bytes, "malformed memop flags", kind: .malformed)
        // align=2^31 is merely invalid.
        let invalid = Binary.module(sections: [Binary.memory()], bodies: [[0x41, 0x00, 0x28, 0x1F, 0x00, 0x1A, 0x0B]])
        expectInvalid(bytes: invalid, "alignment must not be larger than natural")
    }

    @Test func dataSegmentInstructions() {
        expectValid(
            #"(module (memory 1) (data $d "abc") (func (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3)) (data.drop $d)))"#)
        expectInvalid(
            #"(module (data $d "abc") (func (memory.init $d (i32.const 0) (i32.const 0) (i32.const 3))))"#, "unknown memory 0")
        // data.drop 1 with one data segment and a data count section
        let dataCount = Binary.section(12, [0x01])
        let data = Binary.section(11, [0x01, 0x01, 0x00])
        expectInvalid(
            bytes: Binary.module(sections: [dataCount], bodies: [[0xFC, 0x09, 0x01, 0x0B]], after: [data]),
            "unknown data segment 1")
    }

    @Test func dataCountSectionIsRequired() {
        // data.drop 0 with a data segment but no data count section: malformed (binary rule).
        let data = Binary.section(11, [0x01, 0x01, 0x00])
        expectInvalid(
            bytes: Binary.module(bodies: [[0xFC, 0x09, 0x00, 0x0B]], after: [data]),
            "data count section required", kind: .malformed)
        // memory.init 0 likewise.
        let body: [UInt8] = [0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x08, 0x00, 0x00, 0x0B]
        expectInvalid(
            bytes: Binary.module(sections: [Binary.memory()], bodies: [body], after: [data]),
            "data count section required", kind: .malformed)
    }

    // MARK: References and tables

    @Test func referenceInstructions() {
        expectValid("(module (func (result i32) (ref.is_null (ref.null extern))))")
        expectValid("(module (func (result i32) (unreachable) (ref.is_null)))")
        expectInvalid("(module (func (result i32) (ref.is_null (i32.const 0))))", "type mismatch")
        expectInvalid("(module (func (result funcref) (ref.null extern)))", "type mismatch")
        // ref.func 4 in a module with one function
        expectInvalid(bytes: Binary.module(bodies: [[0xD2, 0x04, 0x1A, 0x0B]]), "unknown function 4")
    }

    @Test func tableInstructions() {
        expectValid(
            """
            (module
              (table $f 1 funcref) (table $e 1 externref)
              (elem $fs funcref (ref.null func)) (elem $es externref (ref.null extern))
              (func (param externref)
                (drop (table.get $f (i32.const 0)))
                (table.set $e (i32.const 0) (local.get 0))
                (drop (table.grow $e (local.get 0) (i32.const 1)))
                (drop (table.size $f))
                (table.fill $e (i32.const 0) (local.get 0) (i32.const 1))
                (table.copy $f $f (i32.const 0) (i32.const 0) (i32.const 0))
                (table.init $e $es (i32.const 0) (i32.const 0) (i32.const 0))
                (elem.drop $fs)))
            """)
        expectInvalid(
            "(module (table $f 1 funcref) (func (param externref) (table.set $f (i32.const 0) (local.get 0))))",
            "type mismatch")
        expectInvalid(
            "(module (table $f 1 funcref) (table $e 1 externref) (func (table.copy $f $e (i32.const 0) (i32.const 0) (i32.const 0))))",
            "type mismatch")
        expectInvalid(
            "(module (table $f 1 funcref) (elem $es externref) (func (table.init $f $es (i32.const 0) (i32.const 0) (i32.const 0))))",
            "type mismatch")
        expectInvalid("(module (table $f 1 funcref) (func (result externref) (table.get $f (i32.const 0))))", "type mismatch")
        // table.size 0 without tables; elem.drop 2 without segments
        expectInvalid(bytes: Binary.module(bodies: [[0xFC, 0x10, 0x00, 0x1A, 0x0B]]), "unknown table 0")
        expectInvalid(bytes: Binary.module(bodies: [[0xFC, 0x0D, 0x02, 0x0B]]), "unknown elem segment 2")
    }

    // MARK: Numeric

    @Test func numericInstructions() {
        expectValid(
            """
            (module (func (param i32 i64 f32 f64)
              (drop (i32.add (i32.clz (local.get 0)) (i32.wrap_i64 (local.get 1))))
              (drop (i64.rotl (local.get 1) (i64.extend_i32_u (local.get 0))))
              (drop (f32.copysign (local.get 2) (f32.demote_f64 (local.get 3))))
              (drop (f64.lt (local.get 3) (f64.promote_f32 (local.get 2))))
              (drop (i32.trunc_sat_f64_u (local.get 3)))
              (drop (i64.extend32_s (local.get 1)))
              (drop (f64.reinterpret_i64 (local.get 1)))
              (drop (i64.eqz (local.get 1)))))
            """)
        expectInvalid("(module (func (param i64) (drop (i32.clz (local.get 0)))))", "type mismatch")
        expectInvalid("(module (func (param f32) (drop (i64.trunc_f64_s (local.get 0)))))", "type mismatch")
        expectInvalid("(module (func (param i32) (result i64) (i32.eqz (local.get 0))))", "type mismatch")
        expectInvalid("(module (func (param f32) (drop (f32.eq (local.get 0) (f64.const 0)))))", "type mismatch")
    }

    // MARK: Structure of the body

    @Test func bodyMustEndExactlyAtItsLastEnd() {
        // end; nop; end — an operator after the end closing the function.
        expectInvalid(bytes: Binary.module(bodies: [[0x0B, 0x01, 0x0B]]), "operators remaining after end of function", kind: .malformed)
        // block; end — the body ends inside the block.
        expectInvalid(bytes: Binary.module(bodies: [[0x02, 0x40, 0x0B]]), "unexpected end of function body", kind: .malformed)
        // else outside an if
        expectInvalid(bytes: Binary.module(bodies: [[0x05, 0x0B]]), "else without a matching if", kind: .malformed)
        // if; else; else; end
        let twoElses: [UInt8] = [0x41, 0x00, 0x04, 0x40, 0x05, 0x05, 0x0B, 0x0B]
        expectInvalid(bytes: Binary.module(bodies: [twoElses]), "else without a matching if", kind: .malformed)
    }

    @Test func tailCalls() {
        // return_call: the callee's results must be the caller's; the rest of the block is
        // unreachable (stack-polymorphic).
        expectValid(
            """
            (module
              (type $t (func (param i64) (result i64)))
              (table 1 funcref)
              (func $f (param i64) (result i64) (return_call $g (i32.const 1) (local.get 0)))
              (func $g (param i32 i64) (result i64) (local.get 1))
              (func (param i64) (result i64) (return_call_indirect (type $t) (local.get 0) (i32.const 0)) (i64.const 7)))
            """)
        expectInvalid("(module (func $f (result i32) (return_call $g)) (func $g (result i64) (i64.const 0)))", "type mismatch")
        expectInvalid("(module (func $f (return_call $g)) (func $g (result i32) (i32.const 0)))", "type mismatch")
        expectInvalid("(module (func $f (result i32) (return_call $g)) (func $g (param i32) (result i32) (local.get 0)))", "type mismatch")
        expectInvalid(
            "(module (type $t (func (result i32))) (table 1 funcref) (func (return_call_indirect (type $t) (i32.const 0))))",
            "type mismatch")
    }

    @Test func instructionsOfLaterProposalsAreRejected() {
        // return_call 0 (tail calls) under 2.0's rules
        expectInvalid(bytes: Binary.module(bodies: [[0x12, 0x00, 0x0B]]), "returnCall", kind: .unsupported, features: .wasm2)
        // ref.as_non_null, br_on_null (typed function references) under 2.0's rules
        expectInvalid(bytes: Binary.module(bodies: [[0xD0, 0x70, 0xD4, 0x1A, 0x0B]]), "refAsNonNull", kind: .unsupported, features: .wasm2)
        expectInvalid(bytes: Binary.module(bodies: [[0xD0, 0x70, 0xD5, 0x00, 0x1A, 0x0B]]), "brOnNull", kind: .unsupported, features: .wasm2)
        // atomic.fence (threads)
        expectInvalid(bytes: Binary.module(bodies: [[0xFE, 0x03, 0x00, 0x0B]]), "opcode 0xfe", kind: .unsupported)
        // i32.atomic.load (threads): a Load case WasmParser shares with the plain loads
        let atomicLoad: [UInt8] = [0x41, 0x00, 0xFE, 0x10, 0x02, 0x00, 0x1A, 0x0B]
        expectInvalid(bytes: Binary.module(sections: [Binary.memory()], bodies: [atomicLoad]), "opcode 0xfe", kind: .unsupported)
        // throw_ref (exception handling) under 2.0's rules: its operand's type is refused first
        expectInvalid(bytes: Binary.module(bodies: [[0xD0, 0x69, 0x0A, 0x0B]]), "type exnref", kind: .unsupported, features: .wasm2)
    }

    // MARK: Exception handling

    /// A module whose type 1 is [i32] -> [] and whose tag 0 has it; the bodies have type 0.
    static func withTag(_ bodies: [[UInt8]]) -> [UInt8] {
        Binary.module(
            types: [[0x60, 0x00, 0x00], [0x60, 0x01, 0x7F, 0x00]], functionTypes: bodies.map { _ in 0 },
            sections: [Binary.section(13, [0x01, 0x00, 0x01])], bodies: bodies)
    }

    @Test func throwAndThrowRef() {
        expectValid(bytes: Self.withTag([[0x41, 0x01, 0x08, 0x00, 0x0B]]))  // i32.const 1, throw 0
        expectInvalid(bytes: Self.withTag([[0x08, 0x00, 0x0B]]), "type mismatch")  // no payload
        expectInvalid(bytes: Self.withTag([[0x41, 0x01, 0x08, 0x01, 0x0B]]), "unknown tag 1")
        expectValid(bytes: Self.withTag([[0xD0, 0x69, 0x0A, 0x0B]]))  // ref.null exn, throw_ref
        expectInvalid(bytes: Self.withTag([[0xD0, 0x70, 0x0A, 0x0B]]), "type mismatch")  // a funcref
        // What follows a throw is unreachable: its stack is polymorphic.
        expectValid(bytes: Self.withTag([[0x41, 0x01, 0x08, 0x00, 0x6A, 0x1A, 0x0B]]))
    }

    @Test func tryTableCatchClausesMatchTheirLabels() {
        // block (result i32) (try_table (catch CLAUSE) end) i32.const -1 end drop
        func body(_ clause: [UInt8], result: UInt8 = 0x7F) -> [UInt8] {
            [0x02, result, 0x1F, 0x40, 0x01] + clause + [0x0B, 0x41, 0x7F, 0x0B, 0x1A, 0x0B]
        }
        expectValid(bytes: Self.withTag([body([0x00, 0x00, 0x00])]))  // catch 0 0: [i32]
        expectInvalid(bytes: Self.withTag([body([0x01, 0x00, 0x00])]), "type mismatch")  // catch_ref: [i32 exnref]
        expectInvalid(bytes: Self.withTag([body([0x02, 0x00])]), "type mismatch")  // catch_all: []
        expectInvalid(bytes: Self.withTag([body([0x00, 0x01, 0x00])]), "unknown tag 1")
        expectInvalid(bytes: Self.withTag([body([0x00, 0x00, 0x05])]), "unknown label")
        // catch_all_ref to a block of exnref.
        let allRef: [UInt8] = [0x02, 0x69, 0x1F, 0x40, 0x01, 0x03, 0x00, 0x0B, 0xD0, 0x69, 0x0B, 0x1A, 0x0B]
        expectValid(bytes: Self.withTag([allRef]))
        // The label counts from outside the try_table: 0 is the block, not the try_table.
        let inner: [UInt8] = [0x1F, 0x7F, 0x01, 0x02, 0x00, 0x41, 0x00, 0x0B, 0x1A, 0x0B]
        expectValid(bytes: Self.withTag([inner]))
        // Under 2.0's rules try_table is refused by proposal.
        expectInvalid(bytes: Self.withTag([body([0x00, 0x00, 0x00])]), "tag", kind: .unsupported, features: .wasm2)
    }

    @Test func legacyTryCatchRethrowDelegate() {
        // try (catch 0: drop the payload, rethrow 0) end
        expectValid(bytes: Self.withTag([[0x06, 0x40, 0x07, 0x00, 0x1A, 0x09, 0x00, 0x0B, 0x0B]]))
        // try (result i32) i32.const 1 catch 0 (the payload is the result) catch_all i32.const 2 end drop
        expectValid(bytes: Self.withTag([[0x06, 0x7F, 0x41, 0x01, 0x07, 0x00, 0x19, 0x41, 0x02, 0x0B, 0x1A, 0x0B]]))
        // rethrow outside a handler
        expectInvalid(bytes: Self.withTag([[0x06, 0x40, 0x09, 0x00, 0x0B, 0x0B]]), "invalid rethrow label")
        // delegate to the function's label, and one past it
        expectValid(bytes: Self.withTag([[0x06, 0x40, 0x18, 0x00, 0x0B]]))
        expectInvalid(bytes: Self.withTag([[0x06, 0x40, 0x18, 0x01, 0x0B]]), "unknown label")
        // catch after catch_all, catch without try
        expectInvalid(bytes: Self.withTag([[0x06, 0x40, 0x19, 0x07, 0x00, 0x1A, 0x0B, 0x0B]]), "catch without try")
        expectInvalid(bytes: Self.withTag([[0x19, 0x0B]]), "catch_all without try")
    }

    @Test func typesOfLaterProposalsAreRejected() {
        // ref.null with a concrete type index (typed function references): 3.0, not 2.0.
        expectValid(bytes: Binary.module(bodies: [[0xD0, 0x00, 0x1A, 0x0B]]))
        expectInvalid(bytes: Binary.module(bodies: [[0xD0, 0x00, 0x1A, 0x0B]]), "type", kind: .unsupported, features: .wasm2)
        expectInvalid(bytes: Binary.module(bodies: [[0xD0, 0x07, 0x1A, 0x0B]]), "unknown type 7")
        // GC's heap types are refused by proposal.
        let error = expectInvalid(bytes: Binary.module(bodies: [[0xD0, 0x6E, 0x1A, 0x0B]]), "type", kind: .unsupported)
        #expect(error?.proposal == .gc)
    }

    // MARK: Typed function references

    @Test func typedFunctionReferences() {
        // Type 0: [] -> [], type 1: [(ref null 0)] -> []; function 0 of type 0, 1 of type 1.
        func module(_ body: [UInt8], locals: [UInt8] = [0x00]) -> [UInt8] {
            Binary.module(
                types: [[0x60, 0x00, 0x00], [0x60, 0x01, 0x63, 0x00, 0x00]], functionTypes: [0, 1],
                sections: [], bodies: [[0x0B], body], locals: [[0x00], locals])
        }
        // call_ref 0 of the parameter; of a funcref (not a subtype of (ref null 0)): mismatch.
        expectValid(bytes: module([0x20, 0x00, 0x14, 0x00, 0x0B]))
        expectInvalid(bytes: module([0xD0, 0x70, 0x14, 0x00, 0x0B]), "type mismatch")
        // ref.as_non_null makes (ref 0); br_on_null 0 leaves it.
        expectValid(bytes: module([0x20, 0x00, 0xD4, 0x14, 0x00, 0x0B]))
        expectValid(bytes: module([0x20, 0x00, 0xD5, 0x00, 0x14, 0x00, 0x0B]))
        // A non-nullable local must be set before it is read, in the same block or an outer one.
        let local: [UInt8] = [0x01, 0x01, 0x64, 0x00]  // one local (ref 0)
        expectInvalid(bytes: module([0x20, 0x01, 0x1A, 0x0B], locals: local), "uninitialized local 1")
        expectValid(bytes: module([0x20, 0x00, 0xD4, 0x21, 0x01, 0x20, 0x01, 0x1A, 0x0B], locals: local))
        // Set inside a block, it is unset again after the block's end.
        let inBlock: [UInt8] = [0x02, 0x40, 0x20, 0x00, 0xD4, 0x21, 0x01, 0x0B, 0x20, 0x01, 0x1A, 0x0B]
        expectInvalid(bytes: module(inBlock, locals: local), "uninitialized local 1")
    }

    @Test func equivalentTypesAreOneType() {
        // Types 0 and 1 are both [] -> []; type 2 takes (ref 1), type 3 (ref 0): 2 and 3 are one.
        let types: [[UInt8]] = [[0x60, 0x00, 0x00], [0x60, 0x00, 0x00], [0x60, 0x01, 0x64, 0x01, 0x00], [0x60, 0x01, 0x64, 0x00, 0x00]]
        // A function of type 2 called through call_ref 3.
        let body: [UInt8] = [0x20, 0x00, 0xD2, 0x01, 0x14, 0x03, 0x0B]  // local.get 0, ref.func 1, call_ref 3
        let declare = Binary.section(9, [0x01, 0x03, 0x00, 0x01, 0x01])  // declarative segment: function 1
        expectValid(bytes: Binary.module(types: types, functionTypes: [2, 2], sections: [declare], bodies: [body, [0x0B]]))
        // Type 4 refers to a later type: unknown.
        let forward = types + [[0x60, 0x01, 0x64, 0x05, 0x00], [0x60, 0x00, 0x00]]
        expectInvalid(bytes: Binary.module(types: forward, functionTypes: [0], bodies: [[0x0B]]), "unknown type 5")
    }
}
