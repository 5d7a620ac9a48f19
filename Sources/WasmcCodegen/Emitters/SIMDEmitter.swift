import CLLVM
import WasmParser
import WasmTypes

/// The lane interpretation of a v128 that an instruction works on.
enum LaneShape {
    case i8x16, i16x8, i32x4, i64x2, f32x4, f64x2

    /// The shape a SIMD instruction works on, read off its name: the spec names every SIMD
    /// instruction by its (result) shape first, and WasmParser's case names follow the spec's.
    init(of op: some Any) {
        switch String(describing: op).prefix(5) {
        case "i8x16": self = .i8x16
        case "i16x8": self = .i16x8
        case "i32x4": self = .i32x4
        case "i64x2": self = .i64x2
        case "f32x4": self = .f32x4
        case "f64x2": self = .f64x2
        default: preconditionFailure("\(op) names no lane shape")
        }
    }

    var laneCount: Int {
        switch self {
        case .i8x16: return 16
        case .i16x8: return 8
        case .i32x4, .f32x4: return 4
        case .i64x2, .f64x2: return 2
        }
    }

    var laneBytes: Int { 16 / laneCount }
    var isFloat: Bool { self == .f32x4 || self == .f64x2 }

    /// The integer shape with lanes of the same width (comparison results, bitmasks).
    var integerShape: LaneShape {
        switch self {
        case .f32x4: return .i32x4
        case .f64x2: return .i64x2
        default: return self
        }
    }

    /// The integer shape with half as many lanes, each twice as wide (extend, extmul, dot).
    var widened: LaneShape {
        switch self {
        case .i8x16: return .i16x8
        case .i16x8: return .i32x4
        case .i32x4: return .i64x2
        default: preconditionFailure("\(self) has no wider integer shape")
        }
    }

    /// The integer shape with twice as many lanes, each half as wide.
    var narrowed: LaneShape {
        switch self {
        case .i16x8: return .i8x16
        case .i32x4: return .i16x8
        case .i64x2: return .i32x4
        default: preconditionFailure("\(self) has no narrower integer shape")
        }
    }
}

/// The fixed-width SIMD instructions (v128), lowered to LLVM vector operations so the backend
/// selects the host's vector instructions.
/// <https://webassembly.github.io/spec/core/exec/instructions.html#vector-instructions>
///
/// A v128 travels between instructions as `<2 x i64>`; each instruction bitcasts its operands to
/// its lane shape, and LLVM folds the casts away. Where the spec's semantics differ from what
/// LLVM's generic operations promise (NaN quieting, swizzle indices ≥ 16, saturation), the
/// lowering spells the spec's rule out in vector operations, not lane by lane.
extension FunctionTranslator {
    // MARK: Shapes and lanes

    func laneType(_ shape: LaneShape) -> LLVMType {
        switch shape {
        case .i8x16: return ir.i8
        case .i16x8: return ir.i16
        case .i32x4: return ir.i32
        case .i64x2: return ir.i64
        case .f32x4: return ir.f32
        case .f64x2: return ir.f64
        }
    }

    func vectorType(_ shape: LaneShape) -> LLVMType { ir.vector(laneType(shape), shape.laneCount) }

    func popVector(_ shape: LaneShape) -> LLVMValue { b.bitcast(pop(), vectorType(shape)) }

    func pushVector(_ value: LLVMValue) { push(b.bitcast(value, ir.v128)) }

    /// A scalar operand as a lane of `shape`: i32 operands of i8x16/i16x8 lanes are truncated.
    func popLane(_ shape: LaneShape) -> LLVMValue {
        let scalar = pop()
        return LLVMTypeOf(scalar) == laneType(shape) ? scalar : b.trunc(scalar, laneType(shape))
    }

    /// `scalar` in every lane.
    func splat(_ scalar: LLVMValue, _ shape: LaneShape) -> LLVMValue {
        let type = vectorType(shape)
        let single = b.insertElement(ir.poison(type), scalar, ir.i32(0))
        return b.shuffle(single, ir.poison(type), Array(repeating: 0, count: shape.laneCount))
    }

    func splatConstant(_ value: UInt64, _ shape: LaneShape) -> LLVMValue {
        splat(ir.constInt(laneType(shape), value), shape)
    }

    /// Lanes `range` of `vector` as a vector of their own.
    func lanes(_ vector: LLVMValue, _ range: some Sequence<Int>) -> LLVMValue {
        b.shuffle(vector, LLVMGetPoison(LLVMTypeOf(vector)), range.map { Int32($0) })
    }

    /// The low or high half of a `shape` vector, sign- or zero-extended to `shape.widened`.
    func extendHalf(_ vector: LLVMValue, _ shape: LaneShape, high: Bool, signed: Bool) -> LLVMValue {
        let half = shape.laneCount / 2
        let part = lanes(vector, high ? half..<(2 * half) : 0..<half)
        let wide = vectorType(shape.widened)
        return signed ? b.sext(part, wide) : b.zext(part, wide)
    }

    // MARK: Dispatch

    func emitV128Const(_ value: V128) {
        push(ir.v128(bytes: value.bytes))
    }

    func emitShuffle(_ mask: V128ShuffleMask) {
        let rhs = popVector(.i8x16)
        let lhs = popVector(.i8x16)
        pushVector(b.shuffle(lhs, rhs, mask.lanes.map { Int32($0) }))
    }

    func emitSIMD(_ op: Instruction.Simd) throws(CodegenError) {
        switch op {
        case .i8x16Swizzle:
            let indices = popVector(.i8x16)
            pushVector(swizzle(popVector(.i8x16), indices))
        case .i8x16Splat, .i16x8Splat, .i32x4Splat, .i64x2Splat, .f32x4Splat, .f64x2Splat:
            let shape = LaneShape(of: op)
            pushVector(splat(popLane(shape), shape))

        // Comparisons: all-ones lanes where true.
        case .i8x16Eq, .i16x8Eq, .i32x4Eq, .i64x2Eq: compare(op, LLVMIntEQ)
        case .i8x16Ne, .i16x8Ne, .i32x4Ne, .i64x2Ne: compare(op, LLVMIntNE)
        case .i8x16LtS, .i16x8LtS, .i32x4LtS, .i64x2LtS: compare(op, LLVMIntSLT)
        case .i8x16LtU, .i16x8LtU, .i32x4LtU: compare(op, LLVMIntULT)
        case .i8x16GtS, .i16x8GtS, .i32x4GtS, .i64x2GtS: compare(op, LLVMIntSGT)
        case .i8x16GtU, .i16x8GtU, .i32x4GtU: compare(op, LLVMIntUGT)
        case .i8x16LeS, .i16x8LeS, .i32x4LeS, .i64x2LeS: compare(op, LLVMIntSLE)
        case .i8x16LeU, .i16x8LeU, .i32x4LeU: compare(op, LLVMIntULE)
        case .i8x16GeS, .i16x8GeS, .i32x4GeS, .i64x2GeS: compare(op, LLVMIntSGE)
        case .i8x16GeU, .i16x8GeU, .i32x4GeU: compare(op, LLVMIntUGE)
        // Ordered comparisons are false on NaN; `ne` is the unordered one, true on NaN.
        case .f32x4Eq, .f64x2Eq: compare(op, LLVMRealOEQ)
        case .f32x4Ne, .f64x2Ne: compare(op, LLVMRealUNE)
        case .f32x4Lt, .f64x2Lt: compare(op, LLVMRealOLT)
        case .f32x4Gt, .f64x2Gt: compare(op, LLVMRealOGT)
        case .f32x4Le, .f64x2Le: compare(op, LLVMRealOLE)
        case .f32x4Ge, .f64x2Ge: compare(op, LLVMRealOGE)

        // Bitwise operations on the whole 128 bits.
        case .v128Not: push(b.not(pop()))
        case .v128And: binaryBits { b.and($0, $1) }
        case .v128Or: binaryBits { b.or($0, $1) }
        case .v128Xor: binaryBits { b.xor($0, $1) }
        case .v128Andnot: binaryBits { b.and($0, b.not($1)) }
        case .v128Bitselect:
            let mask = pop()
            let otherwise = pop()
            let chosen = pop()
            push(b.or(b.and(chosen, mask), b.and(otherwise, b.not(mask))))
        case .v128AnyTrue:
            let bits = b.bitcast(pop(), LLVMIntTypeInContext(ir.context, 128))
            push(b.zext(b.icmp(LLVMIntNE, bits, ir.zero(LLVMTypeOf(bits))), ir.i32))
        case .i8x16AllTrue, .i16x8AllTrue, .i32x4AllTrue, .i64x2AllTrue:
            let shape = LaneShape(of: op)
            let nonZero = b.icmp(LLVMIntNE, popVector(shape), ir.zero(vectorType(shape)))
            push(b.zext(b.callIntrinsic("llvm.vector.reduce.and", [LLVMTypeOf(nonZero)], [nonZero]), ir.i32))
        case .i8x16Bitmask, .i16x8Bitmask, .i32x4Bitmask, .i64x2Bitmask:
            let shape = LaneShape(of: op)
            let negative = b.icmp(LLVMIntSLT, popVector(shape), ir.zero(vectorType(shape)))
            let bits = b.bitcast(negative, LLVMIntTypeInContext(ir.context, UInt32(shape.laneCount)))
            push(b.zext(bits, ir.i32))

        // Integer lane arithmetic.
        case .i8x16Add, .i16x8Add, .i32x4Add, .i64x2Add: binary(op) { b.add($0, $1) }
        case .i8x16Sub, .i16x8Sub, .i32x4Sub, .i64x2Sub: binary(op) { b.sub($0, $1) }
        case .i16x8Mul, .i32x4Mul, .i64x2Mul: binary(op) { b.mul($0, $1) }
        case .i8x16Neg, .i16x8Neg, .i32x4Neg, .i64x2Neg: unary(op) { b.neg($0) }
        case .i8x16Abs, .i16x8Abs, .i32x4Abs, .i64x2Abs:
            // The minimum value stays itself, as in wasm; llvm.abs must not call it poison.
            unary(op) { b.callIntrinsic("llvm.abs", [LLVMTypeOf($0)], [$0, ir.i1(false)]) }
        case .i8x16AddSatS, .i16x8AddSatS: binaryIntrinsic(op, "llvm.sadd.sat")
        case .i8x16AddSatU, .i16x8AddSatU: binaryIntrinsic(op, "llvm.uadd.sat")
        case .i8x16SubSatS, .i16x8SubSatS: binaryIntrinsic(op, "llvm.ssub.sat")
        case .i8x16SubSatU, .i16x8SubSatU: binaryIntrinsic(op, "llvm.usub.sat")
        case .i8x16MinS, .i16x8MinS, .i32x4MinS: binaryIntrinsic(op, "llvm.smin")
        case .i8x16MinU, .i16x8MinU, .i32x4MinU: binaryIntrinsic(op, "llvm.umin")
        case .i8x16MaxS, .i16x8MaxS, .i32x4MaxS: binaryIntrinsic(op, "llvm.smax")
        case .i8x16MaxU, .i16x8MaxU, .i32x4MaxU: binaryIntrinsic(op, "llvm.umax")
        case .i8x16AvgrU, .i16x8AvgrU:
            // (a + b + 1) / 2 without overflow: computed in lanes twice as wide.
            let shape = LaneShape(of: op)
            binary(op) { lhs, rhs in
                let wide = ir.vector(LLVMIntTypeInContext(ir.context, UInt32(shape.laneBytes * 16)), shape.laneCount)
                let sum = b.add(b.add(b.zext(lhs, wide), b.zext(rhs, wide)), ir.splat(wide, 1))
                return b.trunc(b.lshr(sum, ir.splat(wide, 1)), vectorType(shape))
            }
        case .i8x16Popcnt: unary(op) { b.callIntrinsic("llvm.ctpop", [LLVMTypeOf($0)], [$0]) }
        case .i8x16Shl, .i16x8Shl, .i32x4Shl, .i64x2Shl: shift(op) { b.shl($0, $1) }
        case .i8x16ShrS, .i16x8ShrS, .i32x4ShrS, .i64x2ShrS: shift(op) { b.ashr($0, $1) }
        case .i8x16ShrU, .i16x8ShrU, .i32x4ShrU, .i64x2ShrU: shift(op) { b.lshr($0, $1) }

        // Narrowing, widening and the multiplications built on them.
        case .i8x16NarrowI16X8S, .i16x8NarrowI32X4S: narrow(op, signed: true)
        case .i8x16NarrowI16X8U, .i16x8NarrowI32X4U: narrow(op, signed: false)
        case .i16x8ExtendLowI8X16S, .i32x4ExtendLowI16X8S, .i64x2ExtendLowI32X4S:
            extend(op, high: false, signed: true)
        case .i16x8ExtendHighI8X16S, .i32x4ExtendHighI16X8S, .i64x2ExtendHighI32X4S:
            extend(op, high: true, signed: true)
        case .i16x8ExtendLowI8X16U, .i32x4ExtendLowI16X8U, .i64x2ExtendLowI32X4U:
            extend(op, high: false, signed: false)
        case .i16x8ExtendHighI8X16U, .i32x4ExtendHighI16X8U, .i64x2ExtendHighI32X4U:
            extend(op, high: true, signed: false)
        case .i16x8ExtmulLowI8X16S, .i32x4ExtmulLowI16X8S, .i64x2ExtmulLowI32X4S:
            extendedMultiply(op, high: false, signed: true)
        case .i16x8ExtmulHighI8X16S, .i32x4ExtmulHighI16X8S, .i64x2ExtmulHighI32X4S:
            extendedMultiply(op, high: true, signed: true)
        case .i16x8ExtmulLowI8X16U, .i32x4ExtmulLowI16X8U, .i64x2ExtmulLowI32X4U:
            extendedMultiply(op, high: false, signed: false)
        case .i16x8ExtmulHighI8X16U, .i32x4ExtmulHighI16X8U, .i64x2ExtmulHighI32X4U:
            extendedMultiply(op, high: true, signed: false)
        case .i16x8ExtaddPairwiseI8X16S, .i32x4ExtaddPairwiseI16X8S: extendedPairwiseAdd(op, signed: true)
        case .i16x8ExtaddPairwiseI8X16U, .i32x4ExtaddPairwiseI16X8U: extendedPairwiseAdd(op, signed: false)
        case .i32x4DotI16X8S:
            let rhs = b.sext(popVector(.i16x8), ir.vector(ir.i32, 8))
            let lhs = b.sext(popVector(.i16x8), ir.vector(ir.i32, 8))
            let products = b.mul(lhs, rhs)
            pushVector(b.add(lanes(products, stride(from: 0, to: 8, by: 2)), lanes(products, stride(from: 1, to: 8, by: 2))))
        case .i16x8Q15MulrSatS:
            let rhs = popVector(.i16x8)
            pushVector(q15MultiplyRoundSaturate(popVector(.i16x8), rhs))

        // Float lane arithmetic.
        case .f32x4Add, .f64x2Add: binary(op) { b.fadd(hideIdentity($0), hideIdentity($1)) }
        case .f32x4Sub, .f64x2Sub: binary(op) { b.fsub(hideIdentity($0), hideIdentity($1)) }
        case .f32x4Mul, .f64x2Mul: binary(op) { b.fmul(hideIdentity($0), hideIdentity($1)) }
        case .f32x4Div, .f64x2Div: binary(op) { b.fdiv(hideIdentity($0), hideIdentity($1)) }
        case .f32x4Min, .f64x2Min:
            binary(op) { canonicalizeNaN(b.callIntrinsic("llvm.minimum", [LLVMTypeOf($0)], [$0, $1]), $0, $1) }
        case .f32x4Max, .f64x2Max:
            binary(op) { canonicalizeNaN(b.callIntrinsic("llvm.maximum", [LLVMTypeOf($0)], [$0, $1]), $0, $1) }
        // Pseudo-minimum and -maximum: exactly `b < a ? b : a` and `a < b ? b : a`.
        case .f32x4Pmin, .f64x2Pmin: binary(op) { b.select(b.fcmp(LLVMRealOLT, $1, $0), $1, $0) }
        case .f32x4Pmax, .f64x2Pmax: binary(op) { b.select(b.fcmp(LLVMRealOLT, $0, $1), $1, $0) }
        case .f32x4Abs, .f64x2Abs: unaryIntrinsic(op, "llvm.fabs")
        case .f32x4Neg, .f64x2Neg: unary(op) { b.fneg($0) }
        case .f32x4Sqrt, .f64x2Sqrt: unaryIntrinsic(op, "llvm.sqrt")
        case .f32x4Ceil, .f64x2Ceil: roundLanes(op, "llvm.ceil")
        case .f32x4Floor, .f64x2Floor: roundLanes(op, "llvm.floor")
        case .f32x4Trunc, .f64x2Trunc: roundLanes(op, "llvm.trunc")
        case .f32x4Nearest, .f64x2Nearest: roundLanes(op, "llvm.roundeven")

        // Conversions.
        case .i32x4TruncSatF32X4S, .i32x4TruncSatF32X4U:
            let signed = op == .i32x4TruncSatF32X4S
            if env.vectorISA == .x86SSSE3 {
                pushVector(truncSatF32x4X86(popVector(.f32x4), signed: signed))
            } else {
                // One instruction on NEON (fcvtzs/fcvtzu) and RVV.
                let name = signed ? "llvm.fptosi.sat" : "llvm.fptoui.sat"
                pushVector(b.callIntrinsic(name, [vectorType(.i32x4), vectorType(.f32x4)], [popVector(.f32x4)]))
            }
        case .f32x4ConvertI32X4S: pushVector(b.sitofp(popVector(.i32x4), vectorType(.f32x4)))
        case .f32x4ConvertI32X4U: pushVector(b.uitofp(popVector(.i32x4), vectorType(.f32x4)))
        case .f64x2ConvertLowI32X4S: pushVector(b.sitofp(lanes(popVector(.i32x4), 0..<2), vectorType(.f64x2)))
        case .f64x2ConvertLowI32X4U: pushVector(b.uitofp(lanes(popVector(.i32x4), 0..<2), vectorType(.f64x2)))
        case .i32x4TruncSatF64X2SZero, .i32x4TruncSatF64X2UZero:
            let signed = op == .i32x4TruncSatF64X2SZero
            let name = signed ? "llvm.fptosi.sat" : "llvm.fptoui.sat"
            let pair = ir.vector(ir.i32, 2)
            let converted: LLVMValue
            if env.vectorISA == .riscvV {
                // The direct form becomes RVV's narrowing vfncvt.rtz.x(u).f.w, which qemu 7.2
                // (Debian 12's, which the tests run under) cannot translate: it aborts with
                // "decode_save_opc: Assertion `ctx->insn_start != NULL' failed". Converting to
                // i64 lanes (vfcvt.rtz, saturating) and clamping to the i32 range gives the same
                // lanes with one instruction more.
                let wide = ir.vector(ir.i64, 2)
                let x = b.callIntrinsic(name, [wide, vectorType(.f64x2)], [popVector(.f64x2)])
                let clamped = signed
                    ? b.callIntrinsic("llvm.smax", [wide], [
                        b.callIntrinsic("llvm.smin", [wide], [x, ir.splat(wide, UInt64(Int32.max))]),
                        ir.splat(wide, UInt64(bitPattern: Int64(Int32.min))),
                    ])
                    : b.callIntrinsic("llvm.umin", [wide], [x, ir.splat(wide, UInt64(UInt32.max))])
                converted = b.trunc(clamped, pair)
            } else {
                converted = b.callIntrinsic(name, [pair, vectorType(.f64x2)], [popVector(.f64x2)])
            }
            pushVector(b.shuffle(converted, ir.zero(pair), [0, 1, 2, 3]))
        case .f32x4DemoteF64X2Zero:
            let x = popVector(.f64x2)
            // demote(promote(x)) folds to x, which would keep a signalling NaN signalling.
            let pair = ir.vector(ir.f32, 2)
            let demoted = b.fptrunc(LLVMIsAFPExtInst(x) != nil ? b.opaque(x) : x, pair)
            pushVector(b.shuffle(demoted, ir.zero(pair), [0, 1, 2, 3]))
        case .f64x2PromoteLowF32X4:
            pushVector(b.fpext(lanes(popVector(.f32x4), 0..<2), vectorType(.f64x2)))

        default:
            if op.isRelaxed {
                try emitRelaxedSIMD(op)
                return
            }
            throw CodegenError("\(op) is not a WebAssembly 2.0 instruction", functionIndex: functionIndex, offset: binaryOffset)
        }
    }

    /// i32x4.trunc_sat_f32x4_s/u on x86. LLVM 19 scalarizes the generic saturating conversion
    /// there (four cvttss2si with compare-and-move fix-ups each: the exp of softmax spent most of
    /// its time in them). A plain `fptosi` of the four lanes is one cvttps2dq; it is poison for
    /// NaN and out-of-range lanes, which selects replace by the saturated results (a select's
    /// other operand may be poison):
    /// - signed: lanes >= 2^31 become 0x7fffffff, lanes < -2^31 0x80000000, NaN lanes 0;
    /// - unsigned: x clamped below at 0 (NaN too); lanes >= 2^31 converted as x - 2^31 with the
    ///   top bit put back; lanes >= 2^32 all ones.
    /// Every operation works lane by lane in generic IR, so LoopDevectorize can widen loops that
    /// use it (an x86 intrinsic it could not).
    func truncSatF32x4X86(_ x: LLVMValue, signed: Bool) -> LLVMValue {
        let ints = vectorType(.i32x4), floats = vectorType(.f32x4)
        func floatSplat(_ value: Float) -> LLVMValue { b.bitcast(ir.splat(ints, UInt64(value.bitPattern)), floats) }
        func convert(_ value: LLVMValue) -> LLVMValue { b.fptosi(value, ints) }
        let twoTo31 = floatSplat(2_147_483_648)
        if signed {
            let inRange = b.select(b.fcmp(LLVMRealUNO, x, x), ir.zero(ints), convert(x))
            let low = b.select(b.fcmp(LLVMRealOLT, x, floatSplat(-2_147_483_648)), ir.splat(ints, 0x8000_0000), inRange)
            return b.select(b.fcmp(LLVMRealOGE, x, twoTo31), ir.splat(ints, 0x7fff_ffff), low)
        }
        let zero = ir.zero(floats)
        let clamped = b.select(b.fcmp(LLVMRealOGT, x, zero), x, zero)
        let low = convert(clamped)
        let high = b.xor(convert(b.fsub(clamped, twoTo31)), ir.splat(ints, 0x8000_0000))
        let inRange = b.select(b.fcmp(LLVMRealOGE, clamped, twoTo31), high, low)
        return b.select(b.fcmp(LLVMRealOGE, clamped, floatSplat(4_294_967_296)), ir.splat(ints, 0xffff_ffff), inRange)
    }

    func emitSIMDLane(_ op: Instruction.SimdLane, lane: UInt8) {
        let shape = LaneShape(of: op)
        let index = ir.i32(Int(lane))
        switch op {
        case .i8x16ExtractLaneS, .i16x8ExtractLaneS:
            push(b.sext(b.extractElement(popVector(shape), index), ir.i32))
        case .i8x16ExtractLaneU, .i16x8ExtractLaneU:
            push(b.zext(b.extractElement(popVector(shape), index), ir.i32))
        case .i32x4ExtractLane, .i64x2ExtractLane, .f32x4ExtractLane, .f64x2ExtractLane:
            push(b.extractElement(popVector(shape), index))
        case .i8x16ReplaceLane, .i16x8ReplaceLane, .i32x4ReplaceLane, .i64x2ReplaceLane, .f32x4ReplaceLane, .f64x2ReplaceLane:
            let scalar = popLane(shape)
            pushVector(b.insertElement(popVector(shape), scalar, index))
        }
    }

    /// v128.loadN_lane and v128.storeN_lane.
    func emitSIMDMemoryLane(_ op: Instruction.SimdMemLane, _ memarg: MemArg, lane: UInt8) {
        let shape: LaneShape
        switch op {
        case .v128Load8Lane, .v128Store8Lane: shape = .i8x16
        case .v128Load16Lane, .v128Store16Lane: shape = .i16x8
        case .v128Load32Lane, .v128Store32Lane: shape = .i32x4
        case .v128Load64Lane, .v128Store64Lane: shape = .i64x2
        }
        let vector = popVector(shape)
        let address = effectiveAddress(pop(), offset: memarg.offset, size: shape.laneBytes, memory: memarg.memory)
        let index = ir.i32(Int(lane))
        switch op {
        case .v128Load8Lane, .v128Load16Lane, .v128Load32Lane, .v128Load64Lane:
            let scalar = b.load(laneType(shape), address, align: 1)
            pushVector(b.insertElement(vector, scalar, index))
        case .v128Store8Lane, .v128Store16Lane, .v128Store32Lane, .v128Store64Lane:
            b.store(b.extractElement(vector, index), address, align: 1)
        }
    }

    /// The v128 loads other than plain v128.load: extending, splatting and zero-filling.
    func emitSIMDLoad(_ op: Instruction.Load, _ memarg: MemArg, address: LLVMValue) throws(CodegenError) {
        func load(_ type: LLVMType, _ size: Int) -> LLVMValue {
            b.load(type, effectiveAddress(address, offset: memarg.offset, size: size, memory: memarg.memory), align: 1)
        }
        func extending(_ shape: LaneShape, signed: Bool) -> LLVMValue {
            let half = load(ir.vector(laneType(shape), shape.laneCount / 2), 8)
            return signed ? b.sext(half, vectorType(shape.widened)) : b.zext(half, vectorType(shape.widened))
        }
        func zeroFilled(_ shape: LaneShape) -> LLVMValue {
            b.insertElement(ir.zero(vectorType(shape)), load(laneType(shape), shape.laneBytes), ir.i32(0))
        }
        switch op {
        case .v128Load8X8S: pushVector(extending(.i8x16, signed: true))
        case .v128Load8X8U: pushVector(extending(.i8x16, signed: false))
        case .v128Load16X4S: pushVector(extending(.i16x8, signed: true))
        case .v128Load16X4U: pushVector(extending(.i16x8, signed: false))
        case .v128Load32X2S: pushVector(extending(.i32x4, signed: true))
        case .v128Load32X2U: pushVector(extending(.i32x4, signed: false))
        case .v128Load8Splat: pushVector(splat(load(ir.i8, 1), .i8x16))
        case .v128Load16Splat: pushVector(splat(load(ir.i16, 2), .i16x8))
        case .v128Load32Splat: pushVector(splat(load(ir.i32, 4), .i32x4))
        case .v128Load64Splat: pushVector(splat(load(ir.i64, 8), .i64x2))
        case .v128Load32Zero: pushVector(zeroFilled(.i32x4))
        case .v128Load64Zero: pushVector(zeroFilled(.i64x2))
        default:
            throw CodegenError("\(op) is not a WebAssembly 2.0 instruction", functionIndex: functionIndex, offset: binaryOffset)
        }
    }

    // MARK: Families

    private func unary(_ op: Instruction.Simd, _ body: (LLVMValue) -> LLVMValue) {
        pushVector(body(popVector(LaneShape(of: op))))
    }

    private func roundLanes(_ op: Instruction.Simd, _ intrinsic: String) {
        let shape = LaneShape(of: op)
        pushVector(rounded(intrinsic, popVector(shape)))
    }

    private func unaryIntrinsic(_ op: Instruction.Simd, _ name: String) {
        let shape = LaneShape(of: op)
        pushVector(b.callIntrinsic(name, [vectorType(shape)], [popVector(shape)]))
    }

    func binary(_ op: Instruction.Simd, _ body: (LLVMValue, LLVMValue) -> LLVMValue) {
        let shape = LaneShape(of: op)
        let rhs = popVector(shape)
        let lhs = popVector(shape)
        pushVector(body(lhs, rhs))
    }

    private func binaryIntrinsic(_ op: Instruction.Simd, _ name: String) {
        let type = vectorType(LaneShape(of: op))
        binary(op) { b.callIntrinsic(name, [type], [$0, $1]) }
    }

    private func binaryBits(_ body: (LLVMValue, LLVMValue) -> LLVMValue) {
        let rhs = pop()
        let lhs = pop()
        push(body(lhs, rhs))
    }

    private func compare(_ op: Instruction.Simd, _ predicate: LLVMIntPredicate) {
        let shape = LaneShape(of: op)
        binary(op) { b.sext(b.icmp(predicate, $0, $1), vectorType(shape)) }
    }

    private func compare(_ op: Instruction.Simd, _ predicate: LLVMRealPredicate) {
        let shape = LaneShape(of: op)
        binary(op) { b.sext(b.fcmp(predicate, $0, $1), vectorType(shape.integerShape)) }
    }

    /// Shifts by an i32 amount taken modulo the lane width.
    private func shift(_ op: Instruction.Simd, _ body: (LLVMValue, LLVMValue) -> LLVMValue) {
        let shape = LaneShape(of: op)
        var amount = b.and(pop(), ir.i32(shape.laneBytes * 8 - 1))
        let lane = laneType(shape)
        if lane == ir.i64 { amount = b.zext(amount, lane) } else if lane != ir.i32 { amount = b.trunc(amount, lane) }
        let vector = popVector(shape)
        pushVector(body(vector, splat(amount, shape)))
    }

    /// Two vectors of the wider shape, each lane saturated to the narrower lane's range (read as
    /// signed or unsigned), concatenated.
    private func narrow(_ op: Instruction.Simd, signed: Bool) {
        let shape = LaneShape(of: op)
        let source = shape.widened
        let rhs = popVector(source)
        let lhs = popVector(source)
        let both = b.shuffle(lhs, rhs, (0..<Int32(shape.laneCount)).map { $0 })
        let wide = LLVMTypeOf(both)!
        let bits = shape.laneBytes * 8
        let low: Int64 = signed ? -(1 << (bits - 1)) : 0
        let high: Int64 = signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1
        let clampedHigh = b.callIntrinsic("llvm.smin", [wide], [both, ir.splat(wide, UInt64(bitPattern: high))])
        let clamped = b.callIntrinsic("llvm.smax", [wide], [clampedHigh, ir.splat(wide, UInt64(bitPattern: low))])
        pushVector(b.trunc(clamped, vectorType(shape)))
    }

    private func extend(_ op: Instruction.Simd, high: Bool, signed: Bool) {
        let source = LaneShape(of: op).narrowed
        pushVector(extendHalf(popVector(source), source, high: high, signed: signed))
    }

    private func extendedMultiply(_ op: Instruction.Simd, high: Bool, signed: Bool) {
        let source = LaneShape(of: op).narrowed
        let rhs = extendHalf(popVector(source), source, high: high, signed: signed)
        let lhs = extendHalf(popVector(source), source, high: high, signed: signed)
        pushVector(b.mul(lhs, rhs))
    }

    private func extendedPairwiseAdd(_ op: Instruction.Simd, signed: Bool) {
        let shape = LaneShape(of: op)
        let source = popVector(shape.narrowed)
        let count = shape.narrowed.laneCount
        let even = lanes(source, stride(from: 0, to: count, by: 2))
        let odd = lanes(source, stride(from: 1, to: count, by: 2))
        let wide = vectorType(shape)
        pushVector(signed ? b.add(b.sext(even, wide), b.sext(odd, wide)) : b.add(b.zext(even, wide), b.zext(odd, wide)))
    }

    /// i16x8.q15mulr_sat_s: (a·b + 2^14) >> 15, saturated. Only -32768·-32768 overflows (to 32768).
    func q15MultiplyRoundSaturate(_ lhs: LLVMValue, _ rhs: LLVMValue) -> LLVMValue {
        let type = vectorType(.i16x8)
        switch env.vectorISA {
        case .x86SSSE3:
            // pmulhrsw computes the same rounding but wraps the one overflow to -32768: flip it.
            let (function, intrinsicType) = ir.intrinsic("llvm.x86.ssse3.pmul.hr.sw.128", [])
            let product = b.call(intrinsicType, function, [lhs, rhs])
            let overflowed = b.sext(b.icmp(LLVMIntEQ, product, ir.splat(type, 0x8000)), type)
            return b.xor(product, overflowed)
        case .aarch64NEON:
            // sqrdmulh: saturating rounding doubling multiply, high half — exactly this operation.
            return b.callIntrinsic("llvm.aarch64.neon.sqrdmulh", [type], [lhs, rhs])
        case .riscvV, .generic:
            let wide = ir.vector(ir.i32, 8)
            let product = b.mul(b.sext(lhs, wide), b.sext(rhs, wide))
            let rounded = b.ashr(b.add(product, ir.splat(wide, 0x4000)), ir.splat(wide, 15))
            return b.trunc(b.callIntrinsic("llvm.smin", [wide], [rounded, ir.splat(wide, 0x7fff)]), type)
        }
    }

    /// i8x16.swizzle: lane i is `vector[indices[i]]`, or 0 where the index is 16 or more.
    func swizzle(_ vector: LLVMValue, _ indices: LLVMValue) -> LLVMValue {
        switch env.vectorISA {
        case .x86SSSE3:
            // pshufb zeroes a lane whose index has its top bit set and otherwise uses the low
            // four bits; adding 0x70 with unsigned saturation sets the top bit exactly for ≥ 16.
            let adjusted = b.callIntrinsic("llvm.uadd.sat", [vectorType(.i8x16)], [indices, splatConstant(0x70, .i8x16)])
            let (function, type) = ir.intrinsic("llvm.x86.ssse3.pshuf.b.128", [])
            return b.call(type, function, [vector, adjusted])
        case .aarch64NEON:
            // tbl yields 0 for every out-of-range index, as wasm does.
            let (function, type) = ir.intrinsic("llvm.aarch64.neon.tbl1", [vectorType(.i8x16)])
            return b.call(type, function, [vector, indices])
        case .riscvV:
            // vrgather yields 0 for indices ≥ VLMAX. The operands go into the low lanes of
            // zeroed scalable vectors of at least 16 lanes, so indices 16..VLMAX-1 read zeros.
            let scalable = LLVMScalableVectorType(ir.i8, 16)!
            let fixed = vectorType(.i8x16)
            func widen(_ value: LLVMValue) -> LLVMValue {
                b.callIntrinsic("llvm.vector.insert", [scalable, fixed], [ir.zero(scalable), value, ir.i64(0)])
            }
            let gathered = b.callIntrinsic(
                "llvm.riscv.vrgather.vv", [scalable, ir.i64], [ir.poison(scalable), widen(vector), widen(indices), ir.i64(16)])
            return b.callIntrinsic("llvm.vector.extract", [fixed, scalable], [gathered, ir.i64(0)])
        case .generic:
            var result = ir.zero(vectorType(.i8x16))
            for lane in 0..<16 {
                let index = b.extractElement(indices, ir.i32(lane))
                let element = b.extractElement(vector, b.and(index, LLVMConstInt(ir.i8, 15, 0)))
                let inRange = b.icmp(LLVMIntULT, index, LLVMConstInt(ir.i8, 16, 0))
                result = b.insertElement(result, b.select(inRange, element, LLVMConstInt(ir.i8, 0, 0)), ir.i32(lane))
            }
            return result
        }
    }
}
