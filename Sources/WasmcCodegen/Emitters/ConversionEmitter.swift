import CLLVM
import WasmParser

/// Numeric conversions: wrap/extend, trapping and saturating float→int truncation, int→float,
/// demote/promote and reinterpretation.
/// <https://webassembly.github.io/spec/core/exec/numerics.html#conversions>
extension FunctionTranslator {
    func emitConversion(_ op: Instruction.Conversion) {
        let x = pop()
        switch op {
        case .i32WrapI64: push(b.trunc(x, ir.i32))
        case .i64ExtendI32S: push(b.sext(x, ir.i64))
        case .i64ExtendI32U: push(b.zext(x, ir.i64))
        case .i32TruncF32S: push(truncate(x, to: ir.i32, signed: true))
        case .i32TruncF32U: push(truncate(x, to: ir.i32, signed: false))
        case .i32TruncF64S: push(truncate(x, to: ir.i32, signed: true))
        case .i32TruncF64U: push(truncate(x, to: ir.i32, signed: false))
        case .i64TruncF32S: push(truncate(x, to: ir.i64, signed: true))
        case .i64TruncF32U: push(truncate(x, to: ir.i64, signed: false))
        case .i64TruncF64S: push(truncate(x, to: ir.i64, signed: true))
        case .i64TruncF64U: push(truncate(x, to: ir.i64, signed: false))
        case .i32TruncSatF32S, .i32TruncSatF64S:
            push(b.callIntrinsic("llvm.fptosi.sat", [ir.i32, LLVMTypeOf(x)], [x]))
        case .i32TruncSatF32U, .i32TruncSatF64U:
            push(b.callIntrinsic("llvm.fptoui.sat", [ir.i32, LLVMTypeOf(x)], [x]))
        case .i64TruncSatF32S, .i64TruncSatF64S:
            push(b.callIntrinsic("llvm.fptosi.sat", [ir.i64, LLVMTypeOf(x)], [x]))
        case .i64TruncSatF32U, .i64TruncSatF64U:
            push(b.callIntrinsic("llvm.fptoui.sat", [ir.i64, LLVMTypeOf(x)], [x]))
        case .f32ConvertI32S, .f32ConvertI64S: push(b.sitofp(x, ir.f32))
        case .f32ConvertI32U, .f32ConvertI64U: push(b.uitofp(x, ir.f32))
        case .f64ConvertI32S, .f64ConvertI64S: push(b.sitofp(x, ir.f64))
        case .f64ConvertI32U, .f64ConvertI64U: push(b.uitofp(x, ir.f64))
        // demote(promote(x)) folds to x, which would keep a signalling NaN signalling.
        case .f32DemoteF64: push(b.fptrunc(LLVMIsAFPExtInst(x) != nil ? b.opaque(x) : x, ir.f32))
        case .f64PromoteF32: push(b.fpext(x, ir.f64))
        case .i32ReinterpretF32: push(b.bitcast(x, ir.i32))
        case .i64ReinterpretF64: push(b.bitcast(x, ir.i64))
        case .f32ReinterpretI32: push(b.bitcast(x, ir.f32))
        case .f64ReinterpretI64: push(b.bitcast(x, ir.f64))
        }
    }

    /// Trapping truncation: NaN traps with "invalid conversion to integer", a value whose integer
    /// part does not fit traps with "integer overflow".
    private func truncate(_ x: LLVMValue, to type: LLVMType, signed: Bool) -> LLVMValue {
        let floatType = LLVMTypeOf(x)!
        let isF32 = floatType == ir.f32
        let bits = Int(LLVMGetIntTypeWidth(type))
        func constant(_ value: Double) -> LLVMValue { isF32 ? ir.f32(Float(value)) : ir.f64(value) }
        trap(if: b.fcmp(LLVMRealUNO, x, x), .invalidConversion)
        // The valid range is (lower, upper) exclusive, in the reals. Where lower itself is not
        // representable (it rounds to -2^(bits-1)), the test becomes x >= -2^(bits-1).
        let upper = constant(signed ? Double(sign: .plus, exponent: bits - 1, significand: 1) : Double(sign: .plus, exponent: bits, significand: 1))
        let inRangeLow: LLVMValue
        if signed {
            let minimum = -Double(sign: .plus, exponent: bits - 1, significand: 1)
            if !isF32 && bits == 32 {
                inRangeLow = b.fcmp(LLVMRealOGT, x, constant(minimum - 1))
            } else {
                inRangeLow = b.fcmp(LLVMRealOGE, x, constant(minimum))
            }
        } else {
            inRangeLow = b.fcmp(LLVMRealOGT, x, constant(-1))
        }
        let inRange = b.and(inRangeLow, b.fcmp(LLVMRealOLT, x, upper))
        trap(if: b.not(inRange), .integerOverflow)
        return signed ? b.fptosi(x, type) : b.fptoui(x, type)
    }
}
