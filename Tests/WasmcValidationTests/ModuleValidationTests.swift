import Testing
import WasmcModule
import WAT
import WasmcValidation

/// Module-level rules: types, imports, exports, limits, start, globals, segments and C.refs.
@Suite("Module-level validation")
struct ModuleValidationTests {
    // MARK: Types and imports

    @Test func functionImportWithUnknownType() {
        // (import "m" "f" (func (type 3)))
        let bytes = Binary.module(imports: [[0x01, 0x6D, 0x01, 0x66, 0x00, 0x03]], bodies: [])
        expectInvalid(bytes: bytes, "unknown type 3")
    }

    @Test func indexSpacesListImportsFirst() throws {
        // Two imported functions and one defined; one imported global and two defined.
        let bytes = try wat2wasm(
            #"""
            (module
              (import "m" "f" (func)) (import "m" "g" (func))
              (import "m" "x" (global i32))
              (global i32 (i32.const 1)) (global i64 (i64.const 2))
              (func))
            """#, features: testFeatures)
        let module = try decodeModule(bytes)
        #expect(module.defined(FuncIndex(1)) == nil)
        #expect(module.defined(FuncIndex(2)) == DefinedFuncIndex(0))
        #expect(module.index(of: DefinedFuncIndex(0)) == FuncIndex(2))
        #expect(module.definedIndices(FunctionSpace.self) == [DefinedFuncIndex(0)])
        #expect(module.defined(Index<GlobalSpace>(0)) == nil)
        #expect(module.index(of: DefinedGlobalIndex(1)) == Index<GlobalSpace>(2))
        #expect(module.definedCount(GlobalSpace.self) == 2)
        #expect(module.initializer(DefinedGlobalIndex(1)).first == .i64Const(value: 2))
    }

    @Test func functionWithUnknownType() {
        let bytes = Binary.module(functionTypes: [1], bodies: [[0x0B]])
        expectInvalid(bytes: bytes, "unknown type 1")
    }

    // MARK: Limits and memories

    @Test func memoryLimits() {
        expectValid("(module (memory 0 65536))")
        expectInvalid("(module (memory 65537))", "memory size must be at most 65536 pages (4GiB)")
        expectInvalid("(module (memory 0 65537))", "memory size must be at most 65536 pages (4GiB)")
        expectInvalid("(module (memory 2 1))", "size minimum must not be greater than maximum")
        expectInvalid(#"(module (import "m" "mem" (memory 3 2)))"#, "size minimum must not be greater than maximum")
    }

    @Test func tableLimits() {
        expectValid("(module (table 0 4294967295 funcref))")
        expectInvalid("(module (table 2 1 funcref))", "size minimum must not be greater than maximum")
        expectInvalid(#"(module (import "m" "t" (table 2 1 externref)))"#, "size minimum must not be greater than maximum")
    }

    @Test func atMostOneMemory() {
        expectInvalid("(module (memory 1) (memory 1))", "multiple memories", features: .wasm2)
        expectInvalid(#"(module (import "m" "mem" (memory 1)) (memory 1))"#, "multiple memories", features: .wasm2)
        // 3.0 (multi-memory): any number.
        expectValid("(module (memory 1) (memory 1))")
        expectValid(#"(module (import "m" "mem" (memory 1)) (memory 1) (memory 0))"#)
        // Several tables are fine in 2.0.
        expectValid("(module (table 1 funcref) (table 1 externref))")
    }

    // MARK: Start and exports

    @Test func startFunction() {
        expectValid("(module (func $f) (start $f))")
        expectInvalid("(module (func $f (param i32)) (start $f))", "start function")
        expectInvalid("(module (func $f (result i32) (i32.const 0)) (start $f))", "start function")
        // A start section naming function 1 of a module with one function.
        let bytes = Binary.module(sections: [Binary.section(8, [0x01])], bodies: [[0x0B]])
        expectInvalid(bytes: bytes, "unknown function 1")
    }

    @Test func exports() {
        expectValid(
            #"(module (func $f) (memory 1) (table 1 funcref) (global i32 (i32.const 0)) (export "a" (func $f)) (export "b" (memory 0)) (export "c" (table 0)) (export "d" (global 0)))"#
        )
        expectInvalid(#"(module (func $f) (export "a" (func $f)) (export "a" (func $f)))"#, "duplicate export name")
        expectInvalid(#"(module (func $f) (memory 1) (export "a" (func $f)) (export "a" (memory 0)))"#, "duplicate export name")
        // Canonically equivalent but different code points: distinct names.
        expectValid(#"(module (func $f) (export "\c3\85" (func $f)) (export "A\cc\8a" (func $f)))"#)
    }

    @Test func exportOfUnknownItems() {
        // (export "g" (global 0)) in a module without globals.
        let global = Binary.module(sections: [Binary.section(7, [0x01, 0x01, 0x67, 0x03, 0x00])], bodies: [])
        expectInvalid(bytes: global, "unknown global 0")
        let memory = Binary.module(sections: [Binary.section(7, [0x01, 0x01, 0x6D, 0x02, 0x00])], bodies: [])
        expectInvalid(bytes: memory, "unknown memory 0")
        let table = Binary.module(sections: [Binary.section(7, [0x01, 0x01, 0x74, 0x01, 0x02])], bodies: [])
        expectInvalid(bytes: table, "unknown table 2")
        let function = Binary.module(sections: [Binary.section(7, [0x01, 0x01, 0x66, 0x00, 0x00])], bodies: [])
        expectInvalid(bytes: function, "unknown function 0")
    }

    @Test func memory64AddressTypes() throws {
        // A 64-bit memory takes i64 addresses (loads, stores, size, grow, fill, data offsets);
        // memory.copy's length is i64 only between two 64-bit memories.
        func module(_ body: [UInt8], memories: [[UInt8]], data: [UInt8]? = nil) -> [UInt8] {
            Binary.module(
                types: [[0x60, 0x00, 0x00]], sections: [Binary.section(5, Binary.vector(memories))], bodies: [body],
                after: data.map { [Binary.section(11, $0)] } ?? [])
        }
        let memory64: [UInt8] = [0x04, 0x01], memory32: [UInt8] = [0x00, 0x01]
        // i64.const 8, i32.load offset=0, drop
        let load: [UInt8] = [0x42, 0x08, 0x28, 0x02, 0x00, 0x1A, 0x0B]
        try validate(bytes: module(load, memories: [memory64]))
        expectInvalid(bytes: module(load, memories: [memory32]), "type mismatch")
        // memory.size, i64.eqz, drop
        try validate(bytes: module([0x3F, 0x00, 0x50, 0x1A, 0x0B], memories: [memory64]))
        // A 32-bit memory's offsets stay u32: i32.const 0, i32.load offset=2^32.
        expectInvalid(bytes: module([0x41, 0x00, 0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10, 0x1A, 0x0B], memories: [memory32]), "offset out of range")
        // memory.copy 0 1 between a 64-bit and a 32-bit memory: i64 i32 i32.
        let mixedCopy: [UInt8] = [0x42, 0x00, 0x41, 0x00, 0x41, 0x00, 0xFC, 0x0A, 0x00, 0x01, 0x0B]
        try validate(bytes: module(mixedCopy, memories: [memory64, memory32]))
        // A data segment's offset has the memory's address type.
        let data64: [UInt8] = [0x01, 0x00, 0x42, 0x00, 0x0B, 0x00]
        try validate(bytes: module([0x0B], memories: [memory64], data: data64))
        expectInvalid(bytes: module([0x0B], memories: [memory32], data: data64), "type mismatch")
        // Under 2.0's rules a 64-bit memory is refused by proposal.
        let error = expectInvalid(bytes: module([0x0B], memories: [memory64]), "64-bit memory", kind: .unsupported, features: .wasm2)
        #expect(error?.proposal == .memory64)
    }

    @Test func sectionsOfUnimplementedProposalsAreUnsupported() {
        func expectUnsupported(_ bytes: [UInt8], _ proposal: Proposal, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                try validateModule(try decodeModule(bytes))
                Issue.record("accepted; expected unsupported \(proposal)", sourceLocation: sourceLocation)
            } catch {
                #expect(error.kind == .unsupported && error.proposal == proposal && error.message == what, "\(error)", sourceLocation: sourceLocation)
                #expect(error.offset != nil, "\(error)", sourceLocation: sourceLocation)
            }
        }
        // A struct type (GC), a rec group of two function types (GC).
        expectUnsupported(Binary.module(types: [[0x5F, 0x00]], bodies: []), .gc, "struct or array type")
        expectUnsupported(Binary.module(types: [[0x4E, 0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x00]], bodies: []), .gc, "recursive type group")
        // A shared memory (threads).
        expectUnsupported(Binary.module(sections: [Binary.section(5, [0x01, 0x03, 0x01, 0x01])], bodies: []), .threads, "shared memory")
    }

    @Test func tags() {
        // A tag's type is a function type without results; exports name existing tags.
        let tag = Binary.section(13, [0x01, 0x00, 0x00])
        expectValid(bytes: Binary.module(sections: [tag], bodies: []))
        let withResult = Binary.module(types: [[0x60, 0x00, 0x01, 0x7F]], sections: [Binary.section(13, [0x01, 0x00, 0x00])], bodies: [])
        expectInvalid(bytes: withResult, "non-empty tag result type")
        expectInvalid(bytes: Binary.module(sections: [Binary.section(13, [0x01, 0x00, 0x03])], bodies: []), "unknown type 3")
        let export = Binary.section(7, [0x01, 0x01, 0x65, 0x04, 0x01])  // "e" = tag 1
        expectInvalid(bytes: Binary.module(sections: [tag, export], bodies: []), "unknown tag 1")
        // Under 2.0's rules a tag is refused by proposal.
        let error = expectInvalid(bytes: Binary.module(sections: [tag], bodies: []), "tag", kind: .unsupported, features: .wasm2)
        #expect(error?.proposal == .exceptionHandling)
    }

    // MARK: Globals and constant expressions

    @Test func globalInitializers() {
        expectValid(
            #"""
            (module
              (import "m" "g" (global i32))
              (global i32 (global.get 0))
              (global i64 (i64.const 1))
              (global f32 (f32.const 1))
              (global f64 (f64.const 1))
              (global v128 (v128.const i32x4 1 2 3 4))
              (global funcref (ref.null func))
              (global externref (ref.null extern))
              (global (mut funcref) (ref.func $f))
              (func $f))
            """#)
        expectInvalid("(module (global i32 (i64.const 0)))", "type mismatch")
        expectInvalid("(module (global funcref (ref.null extern)))", "type mismatch")
        expectInvalid("(module (global i32 (i32.const 0) (i32.const 1)))", "type mismatch")
        expectInvalid("(module (global i32))", "type mismatch")
        expectInvalid("(module (global i32 (i32.add (i32.const 1) (i32.const 2))))", "constant expression required", features: .wasm2)
        expectInvalid("(module (global i32 (nop) (i32.const 1)))", "constant expression required")
    }

    @Test func extendedConstantExpressions() {
        // extended-const (3.0): i32/i64 add, sub and mul, on constants and globals.
        expectValid(
            #"""
            (module
              (import "m" "g" (global i32))
              (global i32 (i32.add (i32.sub (i32.mul (i32.const 20) (i32.const 2)) (i32.const 2)) (global.get 0)))
              (global i64 (i64.mul (i64.const 3) (i64.add (i64.const 1) (i64.const 2))))
              (memory 1)
              (data (i32.add (global.get 0) (i32.const 16)) "a"))
            """#)
        expectInvalid("(module (global i32 (i64.add (i64.const 1) (i64.const 2))))", "type mismatch")
        expectInvalid("(module (global i32 (i32.add (i32.const 1) (i64.const 2))))", "type mismatch")
        expectInvalid("(module (global i32 (i32.add (i32.const 1))))", "type mismatch")
        // Other operators stay non-constant.
        expectInvalid("(module (global i32 (i32.div_u (i32.const 1) (i32.const 2))))", "constant expression required")
        expectInvalid("(module (global i32 (i32.and (i32.const 1) (i32.const 2))))", "constant expression required")
    }

    @Test func globalGetInConstantExpressionsOnlySeesImmutableImports() {
        // A defined global is not visible to constant expressions in 2.0, even an earlier one.
        let wasm2 = WasmFeatures.wasm2
        expectInvalid("(module (global i32 (i32.const 0)) (global i32 (global.get 0)))", "unknown global 0", features: wasm2)
        expectInvalid(#"(module (import "m" "g" (global (mut i32))) (global i32 (global.get 0)))"#, "constant expression required", features: wasm2)
        expectInvalid("(module (global i32 (global.get 0)))", "unknown global 0", features: wasm2)
        expectInvalid(
            #"(module (global i32 (i32.const 0)) (memory 1) (data (global.get 0) "a"))"#, "unknown global 0", features: wasm2)
        expectInvalid(
            #"(module (global i32 (i32.const 0)) (table 1 funcref) (elem (global.get 0) func))"#, "unknown global 0", features: wasm2)
        expectValid(#"(module (import "m" "g" (global i32)) (memory 1) (data (global.get 0) "a"))"#, features: wasm2)
    }

    @Test func globalGetInConstantExpressionsSeesEarlierGlobals() {
        // 3.0: every immutable global defined before the initializer; all of them in segments.
        expectValid("(module (global i32 (i32.const 0)) (global i32 (global.get 0)))")
        expectValid(#"(module (global i32 (i32.const 0)) (memory 1) (data (global.get 0) "a"))"#)
        expectValid(#"(module (global i32 (i32.const 0)) (table 1 funcref) (elem (global.get 0) func))"#)
        expectInvalid("(module (global i32 (global.get 0)))", "unknown global 0")
        expectInvalid("(module (global i32 (global.get 1)) (global i32 (i32.const 0)))", "unknown global 1")
        expectInvalid("(module (global (mut i32) (i32.const 0)) (global i32 (global.get 0)))", "constant expression required")
    }

    // MARK: Element segments

    @Test func elementSegments() {
        expectValid(
            #"""
            (module
              (table $t 1 funcref) (table $e 1 externref)
              (func $f)
              (elem (table $t) (i32.const 0) func $f)
              (elem (table $e) (i32.const 0) externref (ref.null extern))
              (elem funcref (ref.func $f) (ref.null func))
              (elem declare func $f))
            """#)
        expectInvalid("(module (table 1 externref) (func $f) (elem (i32.const 0) func $f))", "type mismatch")
        expectInvalid("(module (table 1 funcref) (elem (i32.const 0) externref (ref.null extern)))", "type mismatch")
        expectInvalid("(module (elem funcref (ref.null extern)))", "type mismatch")
        expectInvalid("(module (table 1 funcref) (func $f) (elem (i64.const 0) func $f))", "type mismatch")
        expectInvalid("(module (elem funcref (i32.const 0)))", "type mismatch")
        expectInvalid("(module (func $f) (elem funcref (ref.func $f) (ref.func $f) (i32.add)))", "constant expression required", features: .wasm2)
    }

    @Test func elementSegmentWithUnknownTableOrFunction() {
        // An active segment for table 0 in a module without tables: flags 0, offset i32.const 0,
        // no items.
        let active = Binary.section(9, [0x01, 0x00, 0x41, 0x00, 0x0B, 0x00])
        expectInvalid(bytes: Binary.module(sections: [active], bodies: [[0x0B]]), "unknown table 0")
        // A declarative segment (flags 3, elemkind 0) naming function 5.
        let declarative = Binary.section(9, [0x01, 0x03, 0x00, 0x01, 0x05])
        expectInvalid(bytes: Binary.module(sections: [declarative], bodies: [[0x0B]]), "unknown function 5")
    }

    // MARK: Data segments

    @Test func dataSegments() {
        expectValid(#"(module (memory 1) (data (i32.const 0) "a") (data "passive"))"#)
        expectInvalid(#"(module (data (i32.const 0) "a"))"#, "unknown memory 0")
        expectInvalid(#"(module (memory 1) (data (i64.const 0) "a"))"#, "type mismatch")
        expectInvalid(#"(module (memory 1) (data (offset (i32.const 0) (i32.const 0)) "a"))"#, "type mismatch")
        // A passive segment needs no memory.
        expectValid(#"(module (data "passive"))"#)
    }

    @Test func dataSegmentForMemoryOne() {
        // Data segment kind 2 naming memory 1.
        let data = Binary.section(11, [0x01, 0x02, 0x01, 0x41, 0x00, 0x0B, 0x00])
        let bytes = Binary.module(sections: [Binary.memory()], bodies: [], after: [data])
        expectInvalid(bytes: bytes, "unknown memory 1")
    }

    // MARK: C.refs

    @Test func functionReferencesMustBeDeclared() {
        expectInvalid("(module (func $f) (func (drop (ref.func $f))))", "undeclared function reference")
        // Declared by an element segment (even a declarative one), an export or a global.
        expectValid("(module (func $f) (elem declare func $f) (func (drop (ref.func $f))))")
        expectValid("(module (func $f) (table 1 funcref) (elem (i32.const 0) $f) (func (drop (ref.func $f))))")
        expectValid(#"(module (func $f) (export "f" (func $f)) (func (drop (ref.func $f))))"#)
        expectValid("(module (func $f) (global funcref (ref.func $f)) (func (drop (ref.func $f))))")
        // The start function and references inside bodies do not declare.
        expectInvalid("(module (func $f) (start $f) (func (drop (ref.func $f))))", "undeclared function reference")
        expectInvalid(
            "(module (func $f) (func (drop (ref.func $f))) (func (drop (ref.func $f))))", "undeclared function reference")
    }

    @Test func referenceToAnImportedFunction() {
        expectValid(#"(module (import "m" "f" (func $f)) (elem declare func $f) (func (drop (ref.func $f))))"#)
        expectInvalid(#"(module (import "m" "f" (func $f)) (func (drop (ref.func $f))))"#, "undeclared function reference")
    }
}
