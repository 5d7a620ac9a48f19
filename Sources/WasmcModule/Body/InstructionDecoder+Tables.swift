import WasmParser
import WasmTypes

// The opcode tables: the numeric instructions (no immediates) and the vector instructions after
// the 0xFD prefix. The opcodes and names are those of the spec's instruction index; the
// `Instruction` cases are WasmParser's.
//
// > Note: <https://webassembly.github.io/spec/core/appendix/index-instructions.html>

extension InstructionDecoder {
    /// The numeric instruction with opcode `0x45...0xC4` (all of them are 2.0 instructions).
    static func numericInstruction(_ opcode: UInt8) -> Instruction {
        switch opcode {
        // i32 comparisons
        case 0x45: .i32Eqz
        case 0x46: .cmp(.i32Eq)
        case 0x47: .cmp(.i32Ne)
        case 0x48: .cmp(.i32LtS)
        case 0x49: .cmp(.i32LtU)
        case 0x4A: .cmp(.i32GtS)
        case 0x4B: .cmp(.i32GtU)
        case 0x4C: .cmp(.i32LeS)
        case 0x4D: .cmp(.i32LeU)
        case 0x4E: .cmp(.i32GeS)
        case 0x4F: .cmp(.i32GeU)
        // i64 comparisons
        case 0x50: .i64Eqz
        case 0x51: .cmp(.i64Eq)
        case 0x52: .cmp(.i64Ne)
        case 0x53: .cmp(.i64LtS)
        case 0x54: .cmp(.i64LtU)
        case 0x55: .cmp(.i64GtS)
        case 0x56: .cmp(.i64GtU)
        case 0x57: .cmp(.i64LeS)
        case 0x58: .cmp(.i64LeU)
        case 0x59: .cmp(.i64GeS)
        case 0x5A: .cmp(.i64GeU)
        // f32 comparisons
        case 0x5B: .cmp(.f32Eq)
        case 0x5C: .cmp(.f32Ne)
        case 0x5D: .cmp(.f32Lt)
        case 0x5E: .cmp(.f32Gt)
        case 0x5F: .cmp(.f32Le)
        case 0x60: .cmp(.f32Ge)
        // f64 comparisons
        case 0x61: .cmp(.f64Eq)
        case 0x62: .cmp(.f64Ne)
        case 0x63: .cmp(.f64Lt)
        case 0x64: .cmp(.f64Gt)
        case 0x65: .cmp(.f64Le)
        case 0x66: .cmp(.f64Ge)
        // i32 arithmetic
        case 0x67: .unary(.i32Clz)
        case 0x68: .unary(.i32Ctz)
        case 0x69: .unary(.i32Popcnt)
        case 0x6A: .binary(.i32Add)
        case 0x6B: .binary(.i32Sub)
        case 0x6C: .binary(.i32Mul)
        case 0x6D: .binary(.i32DivS)
        case 0x6E: .binary(.i32DivU)
        case 0x6F: .binary(.i32RemS)
        case 0x70: .binary(.i32RemU)
        case 0x71: .binary(.i32And)
        case 0x72: .binary(.i32Or)
        case 0x73: .binary(.i32Xor)
        case 0x74: .binary(.i32Shl)
        case 0x75: .binary(.i32ShrS)
        case 0x76: .binary(.i32ShrU)
        case 0x77: .binary(.i32Rotl)
        case 0x78: .binary(.i32Rotr)
        // i64 arithmetic
        case 0x79: .unary(.i64Clz)
        case 0x7A: .unary(.i64Ctz)
        case 0x7B: .unary(.i64Popcnt)
        case 0x7C: .binary(.i64Add)
        case 0x7D: .binary(.i64Sub)
        case 0x7E: .binary(.i64Mul)
        case 0x7F: .binary(.i64DivS)
        case 0x80: .binary(.i64DivU)
        case 0x81: .binary(.i64RemS)
        case 0x82: .binary(.i64RemU)
        case 0x83: .binary(.i64And)
        case 0x84: .binary(.i64Or)
        case 0x85: .binary(.i64Xor)
        case 0x86: .binary(.i64Shl)
        case 0x87: .binary(.i64ShrS)
        case 0x88: .binary(.i64ShrU)
        case 0x89: .binary(.i64Rotl)
        case 0x8A: .binary(.i64Rotr)
        // f32 arithmetic
        case 0x8B: .unary(.f32Abs)
        case 0x8C: .unary(.f32Neg)
        case 0x8D: .unary(.f32Ceil)
        case 0x8E: .unary(.f32Floor)
        case 0x8F: .unary(.f32Trunc)
        case 0x90: .unary(.f32Nearest)
        case 0x91: .unary(.f32Sqrt)
        case 0x92: .binary(.f32Add)
        case 0x93: .binary(.f32Sub)
        case 0x94: .binary(.f32Mul)
        case 0x95: .binary(.f32Div)
        case 0x96: .binary(.f32Min)
        case 0x97: .binary(.f32Max)
        case 0x98: .binary(.f32Copysign)
        // f64 arithmetic
        case 0x99: .unary(.f64Abs)
        case 0x9A: .unary(.f64Neg)
        case 0x9B: .unary(.f64Ceil)
        case 0x9C: .unary(.f64Floor)
        case 0x9D: .unary(.f64Trunc)
        case 0x9E: .unary(.f64Nearest)
        case 0x9F: .unary(.f64Sqrt)
        case 0xA0: .binary(.f64Add)
        case 0xA1: .binary(.f64Sub)
        case 0xA2: .binary(.f64Mul)
        case 0xA3: .binary(.f64Div)
        case 0xA4: .binary(.f64Min)
        case 0xA5: .binary(.f64Max)
        case 0xA6: .binary(.f64Copysign)
        // conversions
        case 0xA7: .conversion(.i32WrapI64)
        case 0xA8: .conversion(.i32TruncF32S)
        case 0xA9: .conversion(.i32TruncF32U)
        case 0xAA: .conversion(.i32TruncF64S)
        case 0xAB: .conversion(.i32TruncF64U)
        case 0xAC: .conversion(.i64ExtendI32S)
        case 0xAD: .conversion(.i64ExtendI32U)
        case 0xAE: .conversion(.i64TruncF32S)
        case 0xAF: .conversion(.i64TruncF32U)
        case 0xB0: .conversion(.i64TruncF64S)
        case 0xB1: .conversion(.i64TruncF64U)
        case 0xB2: .conversion(.f32ConvertI32S)
        case 0xB3: .conversion(.f32ConvertI32U)
        case 0xB4: .conversion(.f32ConvertI64S)
        case 0xB5: .conversion(.f32ConvertI64U)
        case 0xB6: .conversion(.f32DemoteF64)
        case 0xB7: .conversion(.f64ConvertI32S)
        case 0xB8: .conversion(.f64ConvertI32U)
        case 0xB9: .conversion(.f64ConvertI64S)
        case 0xBA: .conversion(.f64ConvertI64U)
        case 0xBB: .conversion(.f64PromoteF32)
        case 0xBC: .conversion(.i32ReinterpretF32)
        case 0xBD: .conversion(.i64ReinterpretF64)
        case 0xBE: .conversion(.f32ReinterpretI32)
        case 0xBF: .conversion(.f64ReinterpretI64)
        // sign extension
        case 0xC0: .unary(.i32Extend8S)
        case 0xC1: .unary(.i32Extend16S)
        case 0xC2: .unary(.i64Extend8S)
        case 0xC3: .unary(.i64Extend16S)
        case 0xC4: .unary(.i64Extend32S)
        default: preconditionFailure("opcode 0x\(String(opcode, radix: 16)) is not a numeric instruction")
        }
    }

    /// The instructions after the `0xFD` prefix: fixed-width SIMD.
    ///
    /// > Note: <https://webassembly.github.io/spec/core/binary/instructions.html#vector-instructions>
    mutating func vectorInstruction() throws(ModuleError) -> Instruction {
        opcode = Opcode(prefix: 0xFD, code: try u32("sub-opcode"))
        switch opcode.code {
        case 0x00...0x0A: return .load(Self.vectorLoads[Int(opcode.code)], memarg: try memarg())
        case 0x0B: return .store(.v128Store, memarg: try memarg())
        case 0x0C: return .v128Const(value: V128(bytes: try sixteenBytes("v128 constant")))
        case 0x0D: return .i8x16Shuffle(lanes: V128ShuffleMask(lanes: try sixteenBytes("shuffle lanes")))
        case 0x15...0x22: return .simdLane(Self.laneOperators[Int(opcode.code - 0x15)], lane: try byte("lane index"))
        case 0x54...0x5B:
            let memarg = try memarg()
            return .simdMemLane(Self.memoryLaneOperators[Int(opcode.code - 0x54)], memarg: memarg, lane: try byte("lane index"))
        case 0x5C: return .load(.v128Load32Zero, memarg: try memarg())
        case 0x5D: return .load(.v128Load64Zero, memarg: try memarg())
        default:
            guard let simd = Self.vectorOperator(opcode.code) else { throw illegalOpcode() }
            return .simd(simd)
        }
    }

    /// `v128.load` ... `v128.load64_splat`, by sub-opcode from 0x00.
    static let vectorLoads: [Instruction.Load] = [
        .v128Load, .v128Load8X8S, .v128Load8X8U, .v128Load16X4S, .v128Load16X4U, .v128Load32X2S, .v128Load32X2U,
        .v128Load8Splat, .v128Load16Splat, .v128Load32Splat, .v128Load64Splat,
    ]

    /// `i8x16.extract_lane_s` ... `f64x2.replace_lane`, by sub-opcode from 0x15.
    static let laneOperators: [Instruction.SimdLane] = [
        .i8x16ExtractLaneS, .i8x16ExtractLaneU, .i8x16ReplaceLane, .i16x8ExtractLaneS, .i16x8ExtractLaneU,
        .i16x8ReplaceLane, .i32x4ExtractLane, .i32x4ReplaceLane, .i64x2ExtractLane, .i64x2ReplaceLane,
        .f32x4ExtractLane, .f32x4ReplaceLane, .f64x2ExtractLane, .f64x2ReplaceLane,
    ]

    /// `v128.load8_lane` ... `v128.store64_lane`, by sub-opcode from 0x54.
    static let memoryLaneOperators: [Instruction.SimdMemLane] = [
        .v128Load8Lane, .v128Load16Lane, .v128Load32Lane, .v128Load64Lane,
        .v128Store8Lane, .v128Store16Lane, .v128Store32Lane, .v128Store64Lane,
    ]

    /// The vector operator without immediates with sub-opcode `code`, or `nil` when 2.0 has none
    /// (the gaps of the table, and relaxed SIMD from 0x100).
    static func vectorOperator(_ code: UInt32) -> Instruction.Simd? {
        switch code {
        // Relaxed SIMD (3.0); the validator refuses them under `--wasm 2.0`.
        case 0x100: .i8x16RelaxedSwizzle
        case 0x101: .i32x4RelaxedTruncF32X4S
        case 0x102: .i32x4RelaxedTruncF32X4U
        case 0x103: .i32x4RelaxedTruncF64X2SZero
        case 0x104: .i32x4RelaxedTruncF64X2UZero
        case 0x105: .f32x4RelaxedMadd
        case 0x106: .f32x4RelaxedNmadd
        case 0x107: .f64x2RelaxedMadd
        case 0x108: .f64x2RelaxedNmadd
        case 0x109: .i8x16RelaxedLaneselect
        case 0x10A: .i16x8RelaxedLaneselect
        case 0x10B: .i32x4RelaxedLaneselect
        case 0x10C: .i64x2RelaxedLaneselect
        case 0x10D: .f32x4RelaxedMin
        case 0x10E: .f32x4RelaxedMax
        case 0x10F: .f64x2RelaxedMin
        case 0x110: .f64x2RelaxedMax
        case 0x111: .i16x8RelaxedQ15MulrS
        case 0x112: .i16x8RelaxedDotI8X16I7X16S
        case 0x113: .i32x4RelaxedDotI8X16I7X16AddS
        case 0x0E: .i8x16Swizzle
        case 0x0F: .i8x16Splat
        case 0x10: .i16x8Splat
        case 0x11: .i32x4Splat
        case 0x12: .i64x2Splat
        case 0x13: .f32x4Splat
        case 0x14: .f64x2Splat
        case 0x23: .i8x16Eq
        case 0x24: .i8x16Ne
        case 0x25: .i8x16LtS
        case 0x26: .i8x16LtU
        case 0x27: .i8x16GtS
        case 0x28: .i8x16GtU
        case 0x29: .i8x16LeS
        case 0x2A: .i8x16LeU
        case 0x2B: .i8x16GeS
        case 0x2C: .i8x16GeU
        case 0x2D: .i16x8Eq
        case 0x2E: .i16x8Ne
        case 0x2F: .i16x8LtS
        case 0x30: .i16x8LtU
        case 0x31: .i16x8GtS
        case 0x32: .i16x8GtU
        case 0x33: .i16x8LeS
        case 0x34: .i16x8LeU
        case 0x35: .i16x8GeS
        case 0x36: .i16x8GeU
        case 0x37: .i32x4Eq
        case 0x38: .i32x4Ne
        case 0x39: .i32x4LtS
        case 0x3A: .i32x4LtU
        case 0x3B: .i32x4GtS
        case 0x3C: .i32x4GtU
        case 0x3D: .i32x4LeS
        case 0x3E: .i32x4LeU
        case 0x3F: .i32x4GeS
        case 0x40: .i32x4GeU
        case 0x41: .f32x4Eq
        case 0x42: .f32x4Ne
        case 0x43: .f32x4Lt
        case 0x44: .f32x4Gt
        case 0x45: .f32x4Le
        case 0x46: .f32x4Ge
        case 0x47: .f64x2Eq
        case 0x48: .f64x2Ne
        case 0x49: .f64x2Lt
        case 0x4A: .f64x2Gt
        case 0x4B: .f64x2Le
        case 0x4C: .f64x2Ge
        case 0x4D: .v128Not
        case 0x4E: .v128And
        case 0x4F: .v128Andnot
        case 0x50: .v128Or
        case 0x51: .v128Xor
        case 0x52: .v128Bitselect
        case 0x53: .v128AnyTrue
        case 0x5E: .f32x4DemoteF64X2Zero
        case 0x5F: .f64x2PromoteLowF32X4
        case 0x60: .i8x16Abs
        case 0x61: .i8x16Neg
        case 0x62: .i8x16Popcnt
        case 0x63: .i8x16AllTrue
        case 0x64: .i8x16Bitmask
        case 0x65: .i8x16NarrowI16X8S
        case 0x66: .i8x16NarrowI16X8U
        case 0x67: .f32x4Ceil
        case 0x68: .f32x4Floor
        case 0x69: .f32x4Trunc
        case 0x6A: .f32x4Nearest
        case 0x6B: .i8x16Shl
        case 0x6C: .i8x16ShrS
        case 0x6D: .i8x16ShrU
        case 0x6E: .i8x16Add
        case 0x6F: .i8x16AddSatS
        case 0x70: .i8x16AddSatU
        case 0x71: .i8x16Sub
        case 0x72: .i8x16SubSatS
        case 0x73: .i8x16SubSatU
        case 0x74: .f64x2Ceil
        case 0x75: .f64x2Floor
        case 0x76: .i8x16MinS
        case 0x77: .i8x16MinU
        case 0x78: .i8x16MaxS
        case 0x79: .i8x16MaxU
        case 0x7A: .f64x2Trunc
        case 0x7B: .i8x16AvgrU
        case 0x7C: .i16x8ExtaddPairwiseI8X16S
        case 0x7D: .i16x8ExtaddPairwiseI8X16U
        case 0x7E: .i32x4ExtaddPairwiseI16X8S
        case 0x7F: .i32x4ExtaddPairwiseI16X8U
        case 0x80: .i16x8Abs
        case 0x81: .i16x8Neg
        case 0x82: .i16x8Q15MulrSatS
        case 0x83: .i16x8AllTrue
        case 0x84: .i16x8Bitmask
        case 0x85: .i16x8NarrowI32X4S
        case 0x86: .i16x8NarrowI32X4U
        case 0x87: .i16x8ExtendLowI8X16S
        case 0x88: .i16x8ExtendHighI8X16S
        case 0x89: .i16x8ExtendLowI8X16U
        case 0x8A: .i16x8ExtendHighI8X16U
        case 0x8B: .i16x8Shl
        case 0x8C: .i16x8ShrS
        case 0x8D: .i16x8ShrU
        case 0x8E: .i16x8Add
        case 0x8F: .i16x8AddSatS
        case 0x90: .i16x8AddSatU
        case 0x91: .i16x8Sub
        case 0x92: .i16x8SubSatS
        case 0x93: .i16x8SubSatU
        case 0x94: .f64x2Nearest
        case 0x95: .i16x8Mul
        case 0x96: .i16x8MinS
        case 0x97: .i16x8MinU
        case 0x98: .i16x8MaxS
        case 0x99: .i16x8MaxU
        case 0x9B: .i16x8AvgrU
        case 0x9C: .i16x8ExtmulLowI8X16S
        case 0x9D: .i16x8ExtmulHighI8X16S
        case 0x9E: .i16x8ExtmulLowI8X16U
        case 0x9F: .i16x8ExtmulHighI8X16U
        case 0xA0: .i32x4Abs
        case 0xA1: .i32x4Neg
        case 0xA3: .i32x4AllTrue
        case 0xA4: .i32x4Bitmask
        case 0xA7: .i32x4ExtendLowI16X8S
        case 0xA8: .i32x4ExtendHighI16X8S
        case 0xA9: .i32x4ExtendLowI16X8U
        case 0xAA: .i32x4ExtendHighI16X8U
        case 0xAB: .i32x4Shl
        case 0xAC: .i32x4ShrS
        case 0xAD: .i32x4ShrU
        case 0xAE: .i32x4Add
        case 0xB1: .i32x4Sub
        case 0xB5: .i32x4Mul
        case 0xB6: .i32x4MinS
        case 0xB7: .i32x4MinU
        case 0xB8: .i32x4MaxS
        case 0xB9: .i32x4MaxU
        case 0xBA: .i32x4DotI16X8S
        case 0xBC: .i32x4ExtmulLowI16X8S
        case 0xBD: .i32x4ExtmulHighI16X8S
        case 0xBE: .i32x4ExtmulLowI16X8U
        case 0xBF: .i32x4ExtmulHighI16X8U
        case 0xC0: .i64x2Abs
        case 0xC1: .i64x2Neg
        case 0xC3: .i64x2AllTrue
        case 0xC4: .i64x2Bitmask
        case 0xC7: .i64x2ExtendLowI32X4S
        case 0xC8: .i64x2ExtendHighI32X4S
        case 0xC9: .i64x2ExtendLowI32X4U
        case 0xCA: .i64x2ExtendHighI32X4U
        case 0xCB: .i64x2Shl
        case 0xCC: .i64x2ShrS
        case 0xCD: .i64x2ShrU
        case 0xCE: .i64x2Add
        case 0xD1: .i64x2Sub
        case 0xD5: .i64x2Mul
        case 0xD6: .i64x2Eq
        case 0xD7: .i64x2Ne
        case 0xD8: .i64x2LtS
        case 0xD9: .i64x2GtS
        case 0xDA: .i64x2LeS
        case 0xDB: .i64x2GeS
        case 0xDC: .i64x2ExtmulLowI32X4S
        case 0xDD: .i64x2ExtmulHighI32X4S
        case 0xDE: .i64x2ExtmulLowI32X4U
        case 0xDF: .i64x2ExtmulHighI32X4U
        case 0xE0: .f32x4Abs
        case 0xE1: .f32x4Neg
        case 0xE3: .f32x4Sqrt
        case 0xE4: .f32x4Add
        case 0xE5: .f32x4Sub
        case 0xE6: .f32x4Mul
        case 0xE7: .f32x4Div
        case 0xE8: .f32x4Min
        case 0xE9: .f32x4Max
        case 0xEA: .f32x4Pmin
        case 0xEB: .f32x4Pmax
        case 0xEC: .f64x2Abs
        case 0xED: .f64x2Neg
        case 0xEF: .f64x2Sqrt
        case 0xF0: .f64x2Add
        case 0xF1: .f64x2Sub
        case 0xF2: .f64x2Mul
        case 0xF3: .f64x2Div
        case 0xF4: .f64x2Min
        case 0xF5: .f64x2Max
        case 0xF6: .f64x2Pmin
        case 0xF7: .f64x2Pmax
        case 0xF8: .i32x4TruncSatF32X4S
        case 0xF9: .i32x4TruncSatF32X4U
        case 0xFA: .f32x4ConvertI32X4S
        case 0xFB: .f32x4ConvertI32X4U
        case 0xFC: .i32x4TruncSatF64X2SZero
        case 0xFD: .i32x4TruncSatF64X2UZero
        case 0xFE: .f64x2ConvertLowI32X4S
        case 0xFF: .f64x2ConvertLowI32X4U
        default: nil
        }
    }
}

extension Instruction.Simd {
    /// Whether this is an instruction of the relaxed SIMD proposal (0xFD 0x100...0x113, read off
    /// the decoder's table).
    public var isRelaxed: Bool { InstructionDecoder.relaxedOperators.contains(self) }
}

extension InstructionDecoder {
    static let relaxedOperators: [Instruction.Simd] = (0x100...0x113).compactMap { vectorOperator($0) }
}
