import Foundation
import Testing
import WAT
import WasmParser
import WasmTypes
import WasmcModule
import WasmcValidation

/// `InstructionDecoder`: function bodies decoded to the letter of the WebAssembly 2.0 binary
/// format, and to the same instructions and offsets as WasmParser's `ExpressionParser` wherever
/// that one decodes a body of the spec suites.
@Suite("Function body decoding")
struct BodyDecoderTests {
    // MARK: Helpers

    /// A decoded instruction and the offset of its first byte, relative to the body's start.
    struct Decoded: Equatable, CustomStringConvertible {
        var offset: Int
        var instruction: Instruction
        var description: String { "\(offset): \(instruction)" }
    }

    /// The code of a module whose only function has `body` (with its final `end`).
    static func code(_ body: [UInt8], types: [[UInt8]] = [[0x60, 0x00, 0x00]]) throws -> Code {
        let module = try decodeModule(Binary.module(types: types, bodies: [body]))
        return try #require(module.codes.first)
    }

    /// Every instruction of `body`, with offsets relative to the body, encoded as WebAssembly 2.0
    /// encodes instructions unless `features` say otherwise.
    static func decode(_ body: [UInt8], features: WasmFeatures = .wasm2) throws -> [Decoded] {
        let code = try code(body)
        var decoder = InstructionDecoder(code: code, features: features)
        var decoded: [Decoded] = []
        while true {
            let offset = decoder.offset - code.expression.startIndex
            guard let instruction = try decoder.next() else { break }
            decoded.append(Decoded(offset: offset, instruction: instruction))
        }
        #expect(decoder.offset == code.expression.endIndex)
        return decoded
    }

    /// The instructions of `body`, without offsets.
    static func instructions(_ body: [UInt8], features: WasmFeatures = .wasm2) throws -> [Instruction] {
        try decode(body, features: features).map(\.instruction)
    }

    /// The error decoding `body` throws, with its offset made relative to the body.
    static func decodingError(
        _ body: [UInt8], features: WasmFeatures = .wasm2, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ModuleError {
        let code = try code(body)
        var decoder = InstructionDecoder(code: code, features: features)
        do {
            while try decoder.next() != nil {}
        } catch {
            var error = error
            error.offset = error.offset.map { $0 - code.expression.startIndex }
            return error
        }
        Issue.record("the body decoded without an error", sourceLocation: sourceLocation)
        throw ModuleError(.malformed, "no error")
    }

    /// Expects decoding `body` to fail with a malformed-module error whose message starts with
    /// `message`, at `offset` in the body.
    static func expectMalformed(
        _ body: [UInt8], _ message: String, at offset: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let error = try decodingError(body, sourceLocation: sourceLocation)
        #expect(error.kind == .malformed, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.hasPrefix(message), "expected \"\(message)\", got \"\(error.message)\"", sourceLocation: sourceLocation)
        #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation)
    }

    static let zeros16 = [UInt8](repeating: 0, count: 16)

    // MARK: Over-long LEB128 sub-opcodes

    @Test func overlongSubOpcodesAfterFC() throws {
        // The module of binary-leb128.wast line 969: sub-opcodes in 2 to 5 bytes.
        let body: [UInt8] = [
            0x00, 0xFC, 0x80, 0x00, 0x00, 0xFC, 0x81, 0x80, 0x00, 0x00, 0xFC, 0x86, 0x80, 0x80, 0x00,
            0x00, 0xFC, 0x87, 0x80, 0x80, 0x80, 0x00, 0x00, 0x0B,
        ]
        let decoded = try Self.decode(body)
        #expect(
            decoded == [
                Decoded(offset: 0, instruction: .unreachable),
                Decoded(offset: 1, instruction: .conversion(.i32TruncSatF32S)),
                Decoded(offset: 4, instruction: .unreachable),
                Decoded(offset: 5, instruction: .conversion(.i32TruncSatF32U)),
                Decoded(offset: 9, instruction: .unreachable),
                Decoded(offset: 10, instruction: .conversion(.i64TruncSatF64S)),
                Decoded(offset: 15, instruction: .unreachable),
                Decoded(offset: 16, instruction: .conversion(.i64TruncSatF64U)),
                Decoded(offset: 22, instruction: .unreachable),
                Decoded(offset: 23, instruction: .end),
            ])
        // ... and the module validates.
        #expect(throws: Never.self) { try validate(bytes: Binary.module(bodies: [body])) }
    }

    @Test func overlongSubOpcodesAfterFD() throws {
        // v128.const (0x0C) in two bytes, i16x8.abs (0x80) in its two bytes and in three.
        let body: [UInt8] = [0xFD, 0x8C, 0x00] + Self.zeros16 + [0xFD, 0x80, 0x01, 0xFD, 0x80, 0x81, 0x00, 0x1A, 0x0B]
        #expect(
            try Self.decode(body) == [
                Decoded(offset: 0, instruction: .v128Const(value: V128(bytes: Self.zeros16))),
                Decoded(offset: 19, instruction: .simd(.i16x8Abs)),
                Decoded(offset: 22, instruction: .simd(.i16x8Abs)),
                Decoded(offset: 26, instruction: .drop),
                Decoded(offset: 27, instruction: .end),
            ])
    }

    @Test func subOpcodesBeyondTheLEB128Limits() throws {
        // Six bytes for a u32: one too many.
        try Self.expectMalformed([0xFC, 0x87, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0B], "integer representation too long", at: 6)
        // Five bytes, but bits beyond the 32nd set in the last one.
        try Self.expectMalformed([0xFC, 0x87, 0x80, 0x80, 0x80, 0x10, 0x0B], "integer too large", at: 5)
        try Self.expectMalformed([0xFD, 0x80, 0x80, 0x80, 0x80, 0x70, 0x0B], "integer too large", at: 5)
        // The body ends inside the sub-opcode.
        try Self.expectMalformed([0xFC, 0x80], "unexpected end", at: 2)
    }

    // MARK: Immediates

    @Test func controlImmediates() throws {
        let body: [UInt8] = [
            0x02, 0x40, 0x0B,  // block
            0x03, 0x7F, 0x41, 0x00, 0x0B, 0x1A,  // loop (result i32)
            0x02, 0x00, 0x0B,  // block (type 0)
            0x02, 0x80, 0x80, 0x00, 0x0B,  // block (type 0), index in three bytes
            0x41, 0x00, 0x04, 0x70, 0xD0, 0x70, 0x05, 0xD0, 0x70, 0x0B, 0x1A,  // if (result funcref) ... else ... end
            0x0C, 0x00, 0x0D, 0x80, 0x00,  // br 0, br_if 0 (over-long)
            0x0E, 0x02, 0x00, 0x81, 0x00, 0x02,  // br_table 0 1 2
            0x10, 0x00, 0x11, 0x00, 0x00, 0x11, 0x80, 0x00, 0x83, 0x00,  // call 0, call_indirect 0 0, call_indirect 0 3
            0x0F, 0x0B,
        ]
        #expect(
            try Self.instructions(body) == [
                .block(blockType: .empty), .end,
                .loop(blockType: .type(.i32)), .i32Const(value: 0), .end, .drop,
                .block(blockType: .funcType(0)), .end,
                .block(blockType: .funcType(0)), .end,
                .i32Const(value: 0), .if(blockType: .type(.ref(.funcRef))), .refNull(type: .funcRef), .else,
                .refNull(type: .funcRef), .end, .drop,
                .br(relativeDepth: 0), .brIf(relativeDepth: 0),
                .brTable(targets: BrTable(labelIndices: [0, 1], defaultIndex: 2)),
                .call(functionIndex: 0), .callIndirect(typeIndex: 0, tableIndex: 0), .callIndirect(typeIndex: 0, tableIndex: 3),
                .return, .end,
            ])
    }

    @Test func blockTypeIndicesAreNonNegativeS33() throws {
        // A type index up to 2^32-1 fits the s33 (5 bytes); the validator rejects it as unknown.
        #expect(try Self.instructions([0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B, 0x0B]).first == .block(blockType: .funcType(.max)))
        // A negative s33 longer than a byte names no type.
        try Self.expectMalformed([0x02, 0xC0, 0x7F, 0x0B, 0x0B], "malformed block type -64", at: 1)
        // 0x40...0x7F are the type bytes: 0x60 is no value type.
        try Self.expectMalformed([0x02, 0x60, 0x0B, 0x0B], "malformed value type 0x60", at: 1)
        // `(ref null func)` spelled with the typed-references prefix, and `(ref 5)`.
        #expect(try Self.instructions([0x02, 0x63, 0x70, 0x0B, 0x0B]).first == .block(blockType: .type(.ref(.funcRef))))
        #expect(
            try Self.instructions([0x02, 0x64, 0x05, 0x0B, 0x0B]).first
                == .block(blockType: .type(.ref(ReferenceType(isNullable: false, heapType: .concrete(typeIndex: 5))))))
        try Self.expectMalformed([0x02, 0x64, 0x60, 0x0B, 0x0B], "malformed heap type 0x60", at: 2)
        // Six bytes: one more than an s33 may take.
        try Self.expectMalformed([0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0B, 0x0B], "integer representation too long", at: 6)
    }

    @Test func parametricAndVariableImmediates() throws {
        let body: [UInt8] = [
            0x1B, 0x1C, 0x01, 0x7B, 0x1C, 0x01, 0x6F,  // select, select (result v128), select (result externref)
            0x20, 0x05, 0x21, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x22, 0x80, 0x80, 0x80, 0x80, 0x00,  // local.get/set/tee
            0x23, 0x01, 0x24, 0x02, 0x25, 0x03, 0x26, 0x04, 0xD2, 0x07, 0xD1, 0x0B,
        ]
        #expect(
            try Self.instructions(body) == [
                .select, .typedSelect(type: .v128), .typedSelect(type: .ref(.externRef)),
                .localGet(localIndex: 5), .localSet(localIndex: .max), .localTee(localIndex: 0),
                .globalGet(globalIndex: 1), .globalSet(globalIndex: 2), .tableGet(table: 3), .tableSet(table: 4),
                .refFunc(functionIndex: 7), .refIsNull, .end,
            ])
    }

    @Test func typedSelectWithOtherThanOneTypeIsInvalid() throws {
        for count: UInt8 in [0, 2] {
            let body: [UInt8] = [0x01, 0x1C, count] + Array(repeating: 0x7F, count: Int(count)) + [0x0B]
            let error = try Self.decodingError(body)
            #expect(error.kind == .invalid, "\(error)")
            #expect(error.message.hasPrefix("invalid result arity"), "\(error)")
            #expect(error.offset == 1)
        }
        // A malformed type comes first.
        try Self.expectMalformed([0x1C, 0x02, 0x7F, 0x40, 0x0B], "malformed value type 0x40", at: 3)
    }

    @Test func numericImmediates() throws {
        let body: [UInt8] = [
            0x41, 0x80, 0x80, 0x80, 0x80, 0x78,  // i32.const -2^31
            0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x07,  // i32.const 2^31-1
            0x41, 0x7F, 0x41, 0xFF, 0x7F, 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F,  // i32.const -1 in 1, 2 and 5 bytes
            0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F,  // i64.const -2^63
            0x42, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,  // i64.const 2^63-1
            0x42, 0x40,  // i64.const -64
            0x43, 0x00, 0x00, 0xC0, 0x7F,  // f32.const nan
            0x44, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // f64.const with all bytes different
            0x45, 0x6A, 0xA7, 0xC4, 0x0B,  // i32.eqz, i32.add, i32.wrap_i64, i64.extend32_s
        ]
        #expect(
            try Self.instructions(body) == [
                .i32Const(value: .min), .i32Const(value: .max), .i32Const(value: -1), .i32Const(value: -1),
                .i32Const(value: -1), .i64Const(value: .min), .i64Const(value: .max), .i64Const(value: -64),
                .f32Const(value: IEEE754.Float32(bitPattern: 0x7FC0_0000)),
                .f64Const(value: IEEE754.Float64(bitPattern: 0x0807_0605_0403_0201)),
                .i32Eqz, .binary(.i32Add), .conversion(.i32WrapI64), .unary(.i64Extend32S), .end,
            ])
    }

    @Test func signedIntegersFollowTheSpecLimits() throws {
        // s32: the fifth byte holds bits 28-31, and its unused bits must copy bit 31.
        try Self.expectMalformed([0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x1A, 0x0B], "integer too large", at: 5)
        try Self.expectMalformed([0x41, 0x80, 0x80, 0x80, 0x80, 0x70, 0x1A, 0x0B], "integer too large", at: 5)
        try Self.expectMalformed([0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x1A, 0x0B], "integer representation too long", at: 6)
        // s64: the tenth byte holds bit 63 only.
        let allOnes = [UInt8](repeating: 0xFF, count: 9)
        try Self.expectMalformed([0x42] + allOnes + [0x01, 0x1A, 0x0B], "integer too large", at: 10)
        try Self.expectMalformed([0x42] + [UInt8](repeating: 0x80, count: 9) + [0x02, 0x1A, 0x0B], "integer too large", at: 10)
        try Self.expectMalformed([0x42] + allOnes + [0xFF, 0x7F, 0x1A, 0x0B], "integer representation too long", at: 11)
        // A truncated constant.
        try Self.expectMalformed([0x43, 0x00, 0x00], "unexpected end", at: 3)
        try Self.expectMalformed([0x41, 0x80], "unexpected end", at: 2)
    }

    @Test func memoryImmediates() throws {
        let body: [UInt8] = [
            0x28, 0x02, 0x10,  // i32.load offset=16 align=4
            0x29, 0x83, 0x80, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F,  // i64.load offset=2^32-1 align=8, flags over-long
            0x35, 0x1F, 0x00,  // i64.load32_u with an exponent the validator rejects
            0x36, 0x20, 0x00,  // i32.store with an exponent of 32 (malformed, for the validator)
            0x3E, 0x00, 0x00,  // i64.store32
            0x3F, 0x00, 0x40, 0x00,  // memory.size, memory.grow
            0xFC, 0x08, 0x05, 0x00, 0xFC, 0x09, 0x06,  // memory.init 5, data.drop 6
            0xFC, 0x0A, 0x00, 0x00, 0xFC, 0x0B, 0x00,  // memory.copy, memory.fill
            0x0B,
        ]
        #expect(
            try Self.instructions(body) == [
                .load(.i32Load, memarg: MemArg(offset: 16, align: 2)),
                .load(.i64Load, memarg: MemArg(offset: 0xFFFF_FFFF, align: 3)),
                .load(.i64Load32U, memarg: MemArg(offset: 0, align: 31)),
                .store(.i32Store, memarg: MemArg(offset: 0, align: 32)),
                .store(.i64Store32, memarg: MemArg(offset: 0, align: 0)),
                .memorySize(memory: 0), .memoryGrow(memory: 0),
                .memoryInit(dataIndex: 5, memory: 0), .dataDrop(dataIndex: 6),
                .memoryCopy(dstMem: 0, srcMem: 0), .memoryFill(memory: 0), .end,
            ])
    }

    @Test func memoryIndicesWithMultiMemory() throws {
        // 3.0: a memarg with flags 64...127 names its memory; memory.size/grow/init/copy/fill
        // take u32 indices where 2.0 has zero bytes (over-long encodings included).
        #expect(
            try Self.instructions([0x41, 0x00, 0x28, 0x42, 0x03, 0x10, 0x1A, 0x3F, 0x81, 0x00, 0x1A, 0xFC, 0x0A, 0x02, 0x01, 0x0B], features: .wasm3)
                == [
                    .i32Const(value: 0), .load(.i32Load, memarg: MemArg(offset: 16, align: 2, memory: 3)), .drop,
                    .memorySize(memory: 1), .drop, .memoryCopy(dstMem: 2, srcMem: 1), .end,
                ])
        // The same bytes under 2.0: a memarg of alignment 66, and a malformed memory byte.
        #expect(try Self.instructions([0x41, 0x00, 0x28, 0x42, 0x03, 0x1A, 0x0B]) == [
            .i32Const(value: 0), .load(.i32Load, memarg: MemArg(offset: 3, align: 66)), .drop, .end,
        ])
        try Self.expectMalformed([0x3F, 0x81, 0x00, 0x1A, 0x0B], "zero byte expected", at: 1)
    }

    @Test func reservedMemoryBytesAreSingleZeros() throws {
        try Self.expectMalformed([0x3F, 0x01, 0x1A, 0x0B], "zero byte expected", at: 1)
        try Self.expectMalformed([0x41, 0x00, 0x40, 0x80, 0x00, 0x1A, 0x0B], "zero byte expected", at: 3)
        try Self.expectMalformed([0xFC, 0x08, 0x00, 0x01, 0x0B], "zero byte expected", at: 3)
        try Self.expectMalformed([0xFC, 0x0A, 0x00, 0x01, 0x0B], "zero byte expected", at: 3)
        try Self.expectMalformed([0xFC, 0x0B, 0x80, 0x0B], "zero byte expected", at: 2)
        // A memarg offset is a u32 (memory64 is not 2.0).
        try Self.expectMalformed([0x28, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10, 0x1A, 0x0B], "integer too large", at: 6)
    }

    @Test func tableImmediates() throws {
        let body: [UInt8] = [
            0xFC, 0x0C, 0x01, 0x02,  // table.init: segment 1 into table 2
            0xFC, 0x0D, 0x03, 0xFC, 0x0E, 0x04, 0x05,  // elem.drop 3, table.copy 4 5
            0xFC, 0x0F, 0x06, 0xFC, 0x10, 0x07, 0xFC, 0x11, 0x08, 0x0B,  // table.grow, table.size, table.fill
        ]
        #expect(
            try Self.instructions(body) == [
                .tableInit(elemIndex: 1, table: 2), .elemDrop(elemIndex: 3), .tableCopy(dstTable: 4, srcTable: 5),
                .tableGrow(table: 6), .tableSize(table: 7), .tableFill(table: 8), .end,
            ])
    }

    @Test func referenceImmediates() throws {
        #expect(try Self.instructions([0xD0, 0x6F, 0x1A, 0x0B]).first == .refNull(type: .externRef))
        #expect(try Self.instructions([0xD0, 0x69, 0x1A, 0x0B]).first == .refNull(type: .exnRef))
        #expect(try Self.instructions([0xD0, 0x73, 0x1A, 0x0B]).first == .refNull(type: .abstract(.noFunc)))
        #expect(try Self.instructions([0xD0, 0x03, 0x1A, 0x0B]).first == .refNull(type: .concrete(typeIndex: 3)))
        try Self.expectMalformed([0xD0, 0x40, 0x1A, 0x0B], "malformed heap type 0x40", at: 1)
    }

    @Test func vectorImmediates() throws {
        let bytes16 = (0..<16).map { UInt8($0 * 2) }
        let body: [UInt8] =
            [0xFD, 0x00, 0x04, 0x08, 0xFD, 0x0A, 0x03, 0x00, 0xFD, 0x0B, 0x04, 0x00]  // v128.load, load64_splat, store
            + [0xFD, 0x0C] + bytes16 + [0xFD, 0x0D] + bytes16  // v128.const, i8x16.shuffle
            + [0xFD, 0x15, 0x0F, 0xFD, 0x22, 0x01]  // i8x16.extract_lane_s 15, f64x2.replace_lane 1
            + [0xFD, 0x54, 0x00, 0x00, 0x0F, 0xFD, 0x5B, 0x03, 0x08, 0x01]  // v128.load8_lane, v128.store64_lane
            + [0xFD, 0x5C, 0x02, 0x00, 0xFD, 0x5D, 0x03, 0x00]  // v128.load32_zero, load64_zero
            + [0xFD, 0x0E, 0xFD, 0x53, 0xFD, 0xFF, 0x01, 0x0B]  // i8x16.swizzle, v128.any_true, f64x2.convert_low_i32x4_u
        #expect(
            try Self.instructions(body) == [
                .load(.v128Load, memarg: MemArg(offset: 8, align: 4)),
                .load(.v128Load64Splat, memarg: MemArg(offset: 0, align: 3)),
                .store(.v128Store, memarg: MemArg(offset: 0, align: 4)),
                .v128Const(value: V128(bytes: bytes16)), .i8x16Shuffle(lanes: V128ShuffleMask(lanes: bytes16)),
                .simdLane(.i8x16ExtractLaneS, lane: 15), .simdLane(.f64x2ReplaceLane, lane: 1),
                .simdMemLane(.v128Load8Lane, memarg: MemArg(offset: 0, align: 0), lane: 15),
                .simdMemLane(.v128Store64Lane, memarg: MemArg(offset: 8, align: 3), lane: 1),
                .load(.v128Load32Zero, memarg: MemArg(offset: 0, align: 2)),
                .load(.v128Load64Zero, memarg: MemArg(offset: 0, align: 3)),
                .simd(.i8x16Swizzle), .simd(.v128AnyTrue), .simd(.f64x2ConvertLowI32X4U), .end,
            ])
        // 16 bytes must follow v128.const.
        try Self.expectMalformed([0xFD, 0x0C] + [UInt8](repeating: 0, count: 15), "unexpected end", at: 17)
    }

    // MARK: Opcodes outside WebAssembly 2.0

    @Test func illegalOpcodesNameTheOpcodeAndItsOffset() throws {
        try Self.expectMalformed([0x01, 0x27, 0x0B], "illegal opcode 0x27", at: 1)
        try Self.expectMalformed([0x01, 0x01, 0xC5, 0x0B], "illegal opcode 0xc5", at: 2)
        // After the prefixes: the sub-opcode as decoded, however long its encoding.
        try Self.expectMalformed([0xFC, 0x12, 0x0B], "illegal opcode 0xfc 0x12", at: 0)
        try Self.expectMalformed([0x01, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B], "illegal opcode 0xfc 0xffffffff", at: 1)
        try Self.expectMalformed([0xFD, 0x9A, 0x01, 0x0B], "illegal opcode 0xfd 0x9a", at: 0)
    }

    @Test func exceptionInstructions() throws {
        // try_table (result i32) with catch 1 0, catch_ref 2 1, catch_all 3, catch_all_ref 4.
        let tryTable: [UInt8] = [0x1F, 0x7F, 0x04, 0x00, 0x01, 0x00, 0x01, 0x02, 0x01, 0x02, 0x03, 0x03, 0x04, 0x0B]
        #expect(
            try Self.instructions(tryTable).first
                == .tryTable(
                    blockType: .type(.i32),
                    tryCatch: TryCatch(catches: [
                        .catch(tagIndex: 1, labelIndex: 0), .catchRef(tagIndex: 2, labelIndex: 1),
                        .catchAll(labelIndex: 3), .catchAllRef(labelIndex: 4),
                    ])))
        try Self.expectMalformed([0x1F, 0x40, 0x01, 0x04, 0x00, 0x0B], "malformed catch clause 0x04", at: 3)
        #expect(try Self.instructions([0x08, 0x05, 0x0A, 0x0B]) == [.throw(tagIndex: 5), .throwRef, .end])
        // The legacy instructions come from nextOperator().
        var decoder = InstructionDecoder(code: try Self.code([0x06, 0x40, 0x07, 0x02, 0x09, 0x00, 0x19, 0x18, 0x01, 0x0B]))
        var operators: [Operator] = []
        while let next = try decoder.nextOperator() { operators.append(next) }
        #expect(
            operators == [
                .legacy(.try(blockType: .empty)), .legacy(.catch(tagIndex: 2)), .legacy(.rethrow(relativeDepth: 0)),
                .legacy(.catchAll), .legacy(.delegate(relativeDepth: 1)), .instruction(.end),
            ])
    }

    @Test func opcodesOfUnimplementedProposalsAreUnsupported() throws {
        // Valid WebAssembly 3.0 (or a later proposal): refused by name, never "malformed". A legacy
        // exception instruction, which `Instruction` cannot hold, is refused by `next()` (the
        // compiler reads `nextOperator()`, exceptionInstructions below).
        try Self.expectUnsupported([0x06, 0x40, 0x0B, 0x0B], .exceptionHandling, "opcode 0x06", at: 0)
        try Self.expectUnsupported([0xFB, 0x00, 0x00, 0x0B], .gc, "opcode 0xfb", at: 0)
        try Self.expectUnsupported([0x41, 0x00, 0xFE, 0x10, 0x02, 0x00, 0x1A, 0x0B], .threads, "opcode 0xfe", at: 2)
        // After relaxed SIMD's last opcode.
        try Self.expectMalformed([0xFD, 0x94, 0x02, 0x0B], "illegal opcode 0xfd 0x114", at: 0)
    }

    static func expectUnsupported(
        _ body: [UInt8], _ proposal: Proposal, _ message: String, at offset: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let error = try decodingError(body, sourceLocation: sourceLocation)
        #expect(error.kind == .unsupported, "\(error)", sourceLocation: sourceLocation)
        #expect(error.proposal == proposal, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.hasPrefix(message), "expected \"\(message)\", got \"\(error.message)\"", sourceLocation: sourceLocation)
        #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.hasPrefix("unsupported: \(proposal.rawValue) (\(message)"), sourceLocation: sourceLocation)
    }

    @Test func everyOpcodeDecodesOrIsIllegal() throws {
        // Each one-byte opcode followed by enough zero bytes for any 2.0 immediate: decoding
        // succeeds exactly for the 2.0 opcodes, and fails for the others as an illegal opcode.
        // 2.0's, return_call and return_call_indirect (tail calls, 3.0), throw, throw_ref and
        // try_table (exceptions, 3.0), call_ref, return_call_ref, ref.as_non_null, br_on_null
        // and br_on_non_null (typed function references, 3.0).
        let legal: Set<UInt8> = Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x0A] + Array(0x0B...0x15) + [0x1A, 0x1B, 0x1C, 0x1F])
            .union(0x20...0x26).union(0x28...0xC4).union([0xD0, 0xD1, 0xD2, 0xD4, 0xD5, 0xD6, 0xFC, 0xFD])
        for opcode in UInt8.min...UInt8.max {
            var body: [UInt8] = [opcode] + Self.zeros16 + [0x0B]
            if opcode == 0x1C {
                // select (result i32)
                body[1] = 0x01
                body[2] = 0x7F
            }
            if opcode == 0xD0 { body[1] = 0x70 }  // ref.null func
            if legal.contains(opcode) {
                #expect(throws: Never.self, "opcode 0x\(String(opcode, radix: 16))") { _ = try Self.decode(body) }
            } else {
                let error = try Self.decodingError(body)
                let hex = String(opcode, radix: 16)
                let name = "opcode 0x\(hex.count < 2 ? "0" : "")\(hex)"
                #expect(error.message.hasPrefix(error.kind == .unsupported ? name : "illegal " + name), "\(error)")
                #expect(error.offset == 0)
            }
        }
        // 0xFC: sub-opcodes 0...17; 0xFD: 236 of 0...255 (SIMD) and 0x100...0x113 (relaxed SIMD).
        var simdCount = 0
        for code in 0..<0x120 {
            for prefix: UInt8 in [0xFC, 0xFD] {
                var leb = [UInt8(code & 0x7F | (code >= 0x80 ? 0x80 : 0))]
                if code >= 0x80 { leb.append(UInt8(code >> 7)) }
                let body: [UInt8] = [prefix] + leb + Self.zeros16 + [0x0B]
                let decoded = try? Self.decode(body)
                let legal = prefix == 0xFC ? code <= 0x11 : code <= 0x113 && !Self.simdGaps.contains(code)
                #expect((decoded != nil) == legal, "0x\(String(prefix, radix: 16)) 0x\(String(code, radix: 16))")
                if prefix == 0xFD, decoded != nil { simdCount += 1 }
            }
        }
        #expect(simdCount == 256)
    }

    /// The bodies as WasmParser reads them with the 2.0 features only (`decodeModule` reads
    /// every proposal's sections, and its bodies would carry those features to `ExpressionParser`).
    static func codes2(_ bytes: [UInt8]) -> [Code]? {
        var parser = Parser(bytes: bytes, features: [.referenceTypes, .simd])
        var codes: [Code] = []
        while let payload = try? parser.parseNext() {
            if case .codeSection(let section) = payload { codes = section }
        }
        return codes
    }

    /// The sub-opcodes under 0x100 that fixed-width SIMD leaves unused.
    static let simdGaps: Set<Int> = [
        0x9A, 0xA2, 0xA5, 0xA6, 0xAF, 0xB0, 0xB2, 0xB3, 0xB4, 0xBB, 0xC2, 0xC5, 0xC6, 0xCF, 0xD0, 0xD2, 0xD3, 0xD4, 0xE2, 0xEE,
    ]

    // MARK: The body as a whole

    @Test func theBodyEndsAtItsLastByte() throws {
        // An `end` in the middle does not stop decoding; the validator reports what follows it.
        #expect(try Self.instructions([0x0B, 0x01, 0x0B]) == [.end, .nop, .end])
        // No final `end`: decoding stops at the last byte all the same, and the validator says so.
        #expect(try Self.instructions([0x01]) == [.nop])
        #expect(try Self.instructions([]) == [])
        let missingEnd = Binary.module(bodies: [[0x41, 0x01, 0x1A]])
        #expect(throws: ModuleError.self) { try validate(bytes: missingEnd) }
        #expect(throws: Never.self) { try validate(bytes: Binary.module(bodies: [[0x0B]])) }
    }

    @Test func localsAreNotPartOfTheInstructions() throws {
        // Two groups of locals (1 i32, 2 f64) before the body: the first instruction is at the
        // start of the expression.
        let bytes = Binary.module(bodies: [[0x20, 0x02, 0x1A, 0x0B]], locals: [[0x02, 0x01, 0x7F, 0x02, 0x7C]])
        let code = try #require(try decodeModule(bytes).codes.first)
        #expect(code.locals == [.i32, .f64, .f64])
        var decoder = InstructionDecoder(code: code)
        #expect(bytes[decoder.offset] == 0x20)
        let first = try decoder.next()
        #expect(first == .localGet(localIndex: 2))
        #expect(throws: Never.self) { try validate(bytes: bytes) }
    }

    @Test func errorsThroughTheValidatorCarryTheFunctionAndAbsoluteOffset() throws {
        // Function 1 (after one import): nop, then an illegal opcode.
        let bytes = Binary.module(imports: [[0x01, 0x6D, 0x01, 0x66, 0x00, 0x00]], bodies: [[0x01, 0xFC, 0x80, 0x40, 0x0B]])
        let error = try #require(expectInvalid(bytes: bytes, "illegal opcode 0xfc 0x2000", kind: .malformed))
        #expect(error.functionIndex == 1)
        let offset = try #require(error.offset)
        #expect(Array(bytes[offset...].prefix(3)) == [0xFC, 0x80, 0x40])
        #expect(error.description.contains("in function 1 at offset 0x\(String(offset, radix: 16))"))
        // An immediate's error points at its byte.
        let leb = Binary.module(bodies: [[0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0B]])
        let lebError = try #require(expectInvalid(bytes: leb, "integer representation too long", kind: .malformed))
        #expect(lebError.functionIndex == 0)
        #expect(lebError.offset == leb.count - 2)
    }

    // MARK: The same instructions as WasmParser

    /// Records what `ExpressionParser` hands a visitor.
    struct Recorder: AnyInstructionVisitor {
        typealias VisitorError = Never
        var binaryOffset = 0
        var decoded: [Decoded] = []
        mutating func visit(_ instruction: Instruction) {
            decoded.append(Decoded(offset: binaryOffset, instruction: instruction))
        }
    }

    /// Every function body of every module in the spec's core and SIMD scripts that WasmParser's
    /// `ExpressionParser` decodes to its final `end`: `InstructionDecoder` decodes it to the same
    /// instructions at the same offsets. Of the bodies WasmParser refuses, only the one with
    /// over-long sub-opcodes in binary-leb128.wast may decode here (up to a final `end`).
    @Test(arguments: ["core", "simd"])
    func sameInstructionsAsWasmParser(suite: String) throws {
        let directory = "\(SpecConformanceTests.specRoot)/\(suite)"
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".wast") }.sorted()
        try #require(!files.isEmpty, "no .wast files in \(directory)")
        var bodies = 0
        var instructions = 0
        var onlyHere: [String] = []
        for file in files {
            let source = try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)
            var wast = try parseWAST(source, features: [.referenceTypes, .simd])
            while let (result, location) = wast.nextDirectiveResult() {
                guard case .success(let directive) = result, let bytes = Self.moduleBytes(directive),
                    let module = try? decodeModule(bytes), let codes = Self.codes2(bytes)
                else { continue }
                for (index, code) in codes.enumerated() {
                    // Computing a line scans the script from its start: only for a message.
                    var place: String { "\(file):\(location.computeLineAndColumn().line) function \(module.importedFunctionCount + index)" }
                    var recorder = Recorder()
                    var parser = ExpressionParser(code: code)
                    var parsed = true
                    do {
                        while let visit = try parser.parse() { visit(visitor: &recorder) }
                    } catch {
                        parsed = false
                    }
                    var decoder = InstructionDecoder(code: code, features: .wasm2)
                    var decoded: [Decoded] = []
                    var failure: ModuleError?
                    do {
                        while true {
                            let offset = decoder.offset
                            guard let instruction = try decoder.next() else { break }
                            decoded.append(Decoded(offset: offset, instruction: instruction))
                        }
                    } catch {
                        failure = error
                    }
                    guard parsed else {
                        // A body without its final `end` decodes here, and fails validation.
                        if failure == nil, decoded.last?.instruction == .end { onlyHere.append(place) }
                        continue
                    }
                    bodies += 1
                    instructions += recorder.decoded.count
                    if let failure {
                        Issue.record("\(place): WasmParser decodes the body, InstructionDecoder fails: \(failure)")
                    } else if decoded != recorder.decoded {
                        let index = (0..<min(decoded.count, recorder.decoded.count)).first { decoded[$0] != recorder.decoded[$0] }
                        let here = index.map { decoded[$0].description } ?? "\(decoded.count) instructions"
                        let there = index.map { recorder.decoded[$0].description } ?? "\(recorder.decoded.count)"
                        Issue.record("\(place): InstructionDecoder decodes \(here), WasmParser \(there)")
                    }
                }
            }
        }
        print("[\(suite)] \(bodies) bodies, \(instructions) instructions decoded alike; decoded only here: \(onlyHere)")
        #expect(bodies > (suite == "core" ? 5000 : 1000))
        let expectedOnlyHere = suite == "core" ? ["binary-leb128.wast"] : []
        #expect(Set(onlyHere.map { String($0.prefix { $0 != ":" }) }) == Set(expectedOnlyHere), "\(onlyHere)")
    }

    /// The binary of a directive's module, when it has one (text modules encoded, quoted ones not).
    static func moduleBytes(_ directive: WASTDirective) -> [UInt8]? {
        let source: ModuleSource
        switch directive {
        case .module(let module): source = module.source
        case .assertInvalid(let module, _), .assertMalformed(let module, _): source = module.source
        case .assertUnlinkable(let wat, _), .assertTrap(.wat(let wat), _), .assertReturn(.wat(let wat), _):
            return try? wat.encode()
        default: return nil
        }
        switch source {
        case .binary(let bytes): return bytes
        case .text(let wat): return try? wat.encode()
        case .quote: return nil
        }
    }
}
