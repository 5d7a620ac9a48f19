import CLLVM
import WasmParser
import WasmTypes

/// The relaxed SIMD instructions (WebAssembly 3.0). Each may give one of a few results the spec
/// lists where inputs are out of range, NaN or otherwise awkward; wasmc picks, per vector ISA, the
/// choice that costs least there. The choice depends only on the target the module is compiled
/// for, so a given .so always gives the same results (`Documentation/codegen.md`, "Relaxed SIMD").
///
/// > Note: <https://webassembly.github.io/spec/core/exec/instructions.html#relaxed-vector-instructions>
extension FunctionTranslator {
    func emitRelaxedSIMD(_ op: Instruction.Simd) throws(CodegenError) {
        let x86 = env.vectorISA == .x86SSSE3
        switch op {
        case .i8x16RelaxedSwizzle:
            if x86 {
                // pshufb alone: indices with the top bit set give 0, the others a[i & 15]
                // (the spec allows either 0 or a[i mod 16] for 16...127).
                let indices = popVector(.i8x16)
                let (function, type) = ir.intrinsic("llvm.x86.ssse3.pshuf.b.128", [])
                pushVector(b.call(type, function, [popVector(.i8x16), indices]))
            } else {
                // tbl and vrgather already give 0 for every index ≥ 16, as i8x16.swizzle.
                try emitSIMD(.i8x16Swizzle)
            }

        case .i32x4RelaxedTruncF32X4S:
            if x86 {
                // cvttps2dq: NaN and out-of-range lanes give INT32_MIN, which the spec allows.
                pushVector(b.callIntrinsic("llvm.x86.sse2.cvttps2dq", [], [popVector(.f32x4)]))
            } else {
                // fcvtzs (NEON) and vfcvt.rtz (RVV) saturate: the saturating form is one instruction.
                try emitSIMD(.i32x4TruncSatF32X4S)
            }
        case .i32x4RelaxedTruncF64X2SZero:
            if x86 {
                // cvttpd2dq: two lanes converted (INT32_MIN where out of range), the upper two zero.
                pushVector(b.callIntrinsic("llvm.x86.sse2.cvttpd2dq", [], [popVector(.f64x2)]))
            } else {
                try emitSIMD(.i32x4TruncSatF64X2SZero)
            }
        // x86 has no unsigned packed conversion before AVX-512; the saturating forms are always
        // among the allowed results.
        case .i32x4RelaxedTruncF32X4U: try emitSIMD(.i32x4TruncSatF32X4U)
        case .i32x4RelaxedTruncF64X2UZero: try emitSIMD(.i32x4TruncSatF64X2UZero)

        case .f32x4RelaxedMadd, .f64x2RelaxedMadd, .f32x4RelaxedNmadd, .f64x2RelaxedNmadd:
            // Fused where the target has a fused multiply-add (llvm.fmuladd decides that once, at
            // compile time, from the CPU features), unfused elsewhere: both are allowed.
            let shape = LaneShape(of: op)
            let addend = popVector(shape)
            let right = popVector(shape)
            var left = popVector(shape)
            if op == .f32x4RelaxedNmadd || op == .f64x2RelaxedNmadd { left = b.fneg(left) }
            pushVector(b.callIntrinsic("llvm.fmuladd", [vectorType(shape)], [left, right, addend]))

        case .i8x16RelaxedLaneselect, .i16x8RelaxedLaneselect, .i32x4RelaxedLaneselect, .i64x2RelaxedLaneselect:
            // The bitwise select is always allowed, and as cheap as any lane-wise blend: one
            // instruction on NEON (bsl), AVX-512 (vpternlog) and RVV, three on SSE/AVX2.
            try emitSIMD(.v128Bitselect)

        case .f32x4RelaxedMin, .f32x4RelaxedMax, .f64x2RelaxedMin, .f64x2RelaxedMax:
            if x86 {
                // minps/maxps: `a < b ? a : b` (or >), the second operand where either is NaN or
                // both are zeros: one of the results the spec allows, in one instruction.
                let name: String
                switch op {
                case .f32x4RelaxedMin: name = "llvm.x86.sse.min.ps"
                case .f32x4RelaxedMax: name = "llvm.x86.sse.max.ps"
                case .f64x2RelaxedMin: name = "llvm.x86.sse2.min.pd"
                default: name = "llvm.x86.sse2.max.pd"
                }
                binary(op) { b.callIntrinsic(name, [], [$0, $1]) }
            } else {
                // fmin/fmax (NEON) and vfmin/vfmax (RVV) are wasm's min and max already.
                switch op {
                case .f32x4RelaxedMin: try emitSIMD(.f32x4Min)
                case .f32x4RelaxedMax: try emitSIMD(.f32x4Max)
                case .f64x2RelaxedMin: try emitSIMD(.f64x2Min)
                default: try emitSIMD(.f64x2Max)
                }
            }

        case .i16x8RelaxedQ15MulrS:
            if x86 {
                // pmulhrsw: -32768 · -32768 gives -32768 instead of the saturated 32767, allowed.
                let rhs = popVector(.i16x8)
                let (function, type) = ir.intrinsic("llvm.x86.ssse3.pmul.hr.sw.128", [])
                pushVector(b.call(type, function, [popVector(.i16x8), rhs]))
            } else {
                // sqrdmulh (NEON) saturates: the same as q15mulr_sat_s.
                try emitSIMD(.i16x8Q15MulrSatS)
            }

        case .i16x8RelaxedDotI8X16I7X16S:
            let rhs = popVector(.i8x16)
            pushVector(dotI8x16I7x16(popVector(.i8x16), rhs))
        case .i32x4RelaxedDotI8X16I7X16AddS:
            let addend = popVector(.i32x4)
            let rhs = popVector(.i8x16)
            let pairs = dotI8x16I7x16(popVector(.i8x16), rhs)
            let sums: LLVMValue
            if x86 {
                // pmaddwd with ones: the pairs' sums, each i16 pair widened and added.
                sums = b.callIntrinsic("llvm.x86.sse2.pmadd.wd", [], [pairs, splatConstant(1, .i16x8)])
            } else {
                let wide = vectorType(.i32x4)
                let even = b.sext(lanes(pairs, stride(from: 0, to: 8, by: 2)), wide)
                let odd = b.sext(lanes(pairs, stride(from: 1, to: 8, by: 2)), wide)
                sums = b.add(even, odd)
            }
            pushVector(b.add(sums, addend))

        default:
            preconditionFailure("\(op) is not a relaxed SIMD instruction")
        }
    }

    /// The i16 sums of adjacent products of `lhs` (signed bytes) and `rhs` (7-bit values; with the
    /// top bit set the spec allows reading it as signed or unsigned, and the sum saturated or not).
    /// x86: pmaddubsw, which reads its first operand as unsigned and saturates the sums. Elsewhere:
    /// both signed, the sums wrapped (they cannot overflow unless both bytes are -128).
    private func dotI8x16I7x16(_ lhs: LLVMValue, _ rhs: LLVMValue) -> LLVMValue {
        if env.vectorISA == .x86SSSE3 {
            return b.callIntrinsic("llvm.x86.ssse3.pmadd.ub.sw.128", [], [rhs, lhs])
        }
        let wide = vectorType(.i16x8)
        let even = b.mul(b.sext(lanes(lhs, stride(from: 0, to: 16, by: 2)), wide), b.sext(lanes(rhs, stride(from: 0, to: 16, by: 2)), wide))
        let odd = b.mul(b.sext(lanes(lhs, stride(from: 1, to: 16, by: 2)), wide), b.sext(lanes(rhs, stride(from: 1, to: 16, by: 2)), wide))
        return b.add(even, odd)
    }
}
