import CLLVM
import WasmParser

/// Integer and float arithmetic, comparisons and bit operations with the spec's exact semantics.
/// <https://webassembly.github.io/spec/core/exec/numerics.html>
extension FunctionTranslator {
    func emitCompare(_ op: Instruction.Cmp) {
        let rhs = pop()
        let lhs = pop()
        let result: LLVMValue
        switch op {
        case .i32Eq, .i64Eq: result = b.icmp(LLVMIntEQ, lhs, rhs)
        case .i32Ne, .i64Ne: result = b.icmp(LLVMIntNE, lhs, rhs)
        case .i32LtS, .i64LtS: result = b.icmp(LLVMIntSLT, lhs, rhs)
        case .i32LtU, .i64LtU: result = b.icmp(LLVMIntULT, lhs, rhs)
        case .i32GtS, .i64GtS: result = b.icmp(LLVMIntSGT, lhs, rhs)
        case .i32GtU, .i64GtU: result = b.icmp(LLVMIntUGT, lhs, rhs)
        case .i32LeS, .i64LeS: result = b.icmp(LLVMIntSLE, lhs, rhs)
        case .i32LeU, .i64LeU: result = b.icmp(LLVMIntULE, lhs, rhs)
        case .i32GeS, .i64GeS: result = b.icmp(LLVMIntSGE, lhs, rhs)
        case .i32GeU, .i64GeU: result = b.icmp(LLVMIntUGE, lhs, rhs)
        // Ordered comparisons are false on NaN; `ne` is the unordered one, true on NaN.
        case .f32Eq, .f64Eq: result = b.fcmp(LLVMRealOEQ, lhs, rhs)
        case .f32Ne, .f64Ne: result = b.fcmp(LLVMRealUNE, lhs, rhs)
        case .f32Lt, .f64Lt: result = b.fcmp(LLVMRealOLT, lhs, rhs)
        case .f32Gt, .f64Gt: result = b.fcmp(LLVMRealOGT, lhs, rhs)
        case .f32Le, .f64Le: result = b.fcmp(LLVMRealOLE, lhs, rhs)
        case .f32Ge, .f64Ge: result = b.fcmp(LLVMRealOGE, lhs, rhs)
        }
        push(b.zext(result, ir.i32))
    }

    func emitUnary(_ op: Instruction.Unary) {
        let x = pop()
        let t = LLVMTypeOf(x)!
        switch op {
        case .i32Clz, .i64Clz: push(b.callIntrinsic("llvm.ctlz", [t], [x, ir.i1(false)]))
        case .i32Ctz, .i64Ctz: push(b.callIntrinsic("llvm.cttz", [t], [x, ir.i1(false)]))
        case .i32Popcnt, .i64Popcnt: push(b.callIntrinsic("llvm.ctpop", [t], [x]))
        case .f32Abs, .f64Abs: push(b.callIntrinsic("llvm.fabs", [t], [x]))
        case .f32Neg, .f64Neg: push(b.fneg(x))
        case .f32Ceil, .f64Ceil: push(rounded("llvm.ceil", x))
        case .f32Floor, .f64Floor: push(rounded("llvm.floor", x))
        case .f32Trunc, .f64Trunc: push(rounded("llvm.trunc", x))
        case .f32Nearest, .f64Nearest: push(rounded("llvm.roundeven", x))
        case .f32Sqrt, .f64Sqrt: push(b.callIntrinsic("llvm.sqrt", [t], [x]))
        case .i32Extend8S: push(b.sext(b.trunc(x, ir.i8), ir.i32))
        case .i32Extend16S: push(b.sext(b.trunc(x, ir.i16), ir.i32))
        case .i64Extend8S: push(b.sext(b.trunc(x, ir.i8), ir.i64))
        case .i64Extend16S: push(b.sext(b.trunc(x, ir.i16), ir.i64))
        case .i64Extend32S: push(b.sext(b.trunc(x, ir.i32), ir.i64))
        }
    }

    func emitBinary(_ op: Instruction.Binary) {
        let rhs = pop()
        let lhs = pop()
        let t = LLVMTypeOf(lhs)!
        let bits = LLVMGetTypeKind(t) == LLVMIntegerTypeKind ? Int(LLVMGetIntTypeWidth(t)) : 0
        func mask(_ amount: LLVMValue) -> LLVMValue { b.and(amount, ir.constInt(t, UInt64(bits - 1))) }
        switch op {
        case .i32Add, .i64Add: push(b.add(lhs, rhs))
        case .i32Sub, .i64Sub: push(b.sub(lhs, rhs))
        case .i32Mul, .i64Mul: push(b.mul(lhs, rhs))
        case .i32DivS, .i64DivS:
            trap(if: b.icmp(LLVMIntEQ, rhs, ir.zero(t)), .integerDivideByZero)
            let minValue = ir.constInt(t, 1 << UInt64(bits - 1))
            let overflow = b.and(b.icmp(LLVMIntEQ, lhs, minValue), b.icmp(LLVMIntEQ, rhs, LLVMConstAllOnes(t)))
            trap(if: overflow, .integerOverflow)
            push(b.sdiv(lhs, rhs))
        case .i32DivU, .i64DivU:
            trap(if: b.icmp(LLVMIntEQ, rhs, ir.zero(t)), .integerDivideByZero)
            push(b.udiv(lhs, rhs))
        case .i32RemS, .i64RemS:
            trap(if: b.icmp(LLVMIntEQ, rhs, ir.zero(t)), .integerDivideByZero)
            // x rem -1 is 0; LLVM's srem overflows on INT_MIN rem -1, so divide by 1 instead.
            let isMinusOne = b.icmp(LLVMIntEQ, rhs, LLVMConstAllOnes(t))
            push(b.srem(lhs, b.select(isMinusOne, ir.constInt(t, 1), rhs)))
        case .i32RemU, .i64RemU:
            trap(if: b.icmp(LLVMIntEQ, rhs, ir.zero(t)), .integerDivideByZero)
            push(b.urem(lhs, rhs))
        case .i32And, .i64And: push(b.and(lhs, rhs))
        case .i32Or, .i64Or: push(b.or(lhs, rhs))
        case .i32Xor, .i64Xor: push(b.xor(lhs, rhs))
        case .i32Shl, .i64Shl: push(b.shl(lhs, mask(rhs)))
        case .i32ShrS, .i64ShrS: push(b.ashr(lhs, mask(rhs)))
        case .i32ShrU, .i64ShrU: push(b.lshr(lhs, mask(rhs)))
        // Funnel shifts take the amount modulo the width, as wasm's rotates do.
        case .i32Rotl, .i64Rotl: push(b.callIntrinsic("llvm.fshl", [t], [lhs, lhs, rhs]))
        case .i32Rotr, .i64Rotr: push(b.callIntrinsic("llvm.fshr", [t], [lhs, lhs, rhs]))
        case .f32Add, .f64Add: push(b.fadd(hideIdentity(lhs), hideIdentity(rhs)))
        case .f32Sub, .f64Sub: push(b.fsub(hideIdentity(lhs), hideIdentity(rhs)))
        case .f32Mul, .f64Mul: push(b.fmul(hideIdentity(lhs), hideIdentity(rhs)))
        case .f32Div, .f64Div: push(b.fdiv(hideIdentity(lhs), hideIdentity(rhs)))
        // llvm.minimum/maximum: NaN if either operand is NaN, and -0 < +0, as wasm requires.
        case .f32Min, .f64Min: push(canonicalizeNaN(b.callIntrinsic("llvm.minimum", [t], [lhs, rhs]), lhs, rhs))
        case .f32Max, .f64Max: push(canonicalizeNaN(b.callIntrinsic("llvm.maximum", [t], [lhs, rhs]), lhs, rhs))
        case .f32Copysign, .f64Copysign: push(b.callIntrinsic("llvm.copysign", [t], [lhs, rhs]))
        }
    }

    /// Arithmetic on a signalling NaN must return a quiet one, but LLVM folds x-0, -0-x, x*±1 and
    /// x/±1 to x or -x, which keeps the NaN signalling. A literal ±0 or ±1 operand is therefore
    /// hidden from LLVM (one register move; no other constant is affected).
    /// Vector constants are hidden when any lane is such a value.
    func hideIdentity(_ value: LLVMValue) -> LLVMValue {
        func isIdentity(_ scalar: LLVMValue?) -> Bool {
            guard let scalar, LLVMIsAConstantFP(scalar) != nil else { return false }
            var losesInfo: LLVMBool = 0
            let x = LLVMConstRealGetDouble(scalar, &losesInfo)
            return x == 0 || x == 1 || x == -1
        }
        guard LLVMIsAConstant(value) != nil else { return value }
        let type = LLVMTypeOf(value)!
        if LLVMGetTypeKind(type) == LLVMVectorTypeKind {
            let lanes = (0..<LLVMGetVectorSize(type)).map { LLVMGetAggregateElement(value, $0) }
            return lanes.contains(where: isIdentity) ? b.opaque(value) : value
        }
        return isIdentity(value) ? b.opaque(value) : value
    }

    /// A rounding intrinsic (floor, ceil, trunc, roundeven) on a float or float vector. Where
    /// the target's lowering passes a signalling NaN through (`roundingQuietsNaN`), NaN lanes
    /// become x + x: the same NaN, quiet.
    func rounded(_ intrinsic: String, _ x: LLVMValue) -> LLVMValue {
        let result = b.callIntrinsic(intrinsic, [LLVMTypeOf(x)!], [x])
        guard !env.roundingQuietsNaN else { return result }
        return b.select(b.fcmp(LLVMRealUNO, x, x), b.fadd(x, x), result)
    }

    /// min/max must return an arithmetic NaN (quiet bit set) when an operand is NaN. LLVM's
    /// minimum/maximum already produce a NaN then; adding the operands quiets a signalling one.
    func canonicalizeNaN(_ result: LLVMValue, _ lhs: LLVMValue, _ rhs: LLVMValue) -> LLVMValue {
        let unordered = b.fcmp(LLVMRealUNO, lhs, rhs)
        return b.select(unordered, b.fadd(lhs, rhs), result)
    }
}
