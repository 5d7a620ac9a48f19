import CLLVM

/// A thin wrapper over an LLVM instruction builder: every method appends one instruction at the
/// current insertion point.
public struct IRBuilder {
    public let ir: IRModule
    public let builder: LLVMBuilderRef

    public init(_ ir: IRModule) {
        self.ir = ir
        self.builder = LLVMCreateBuilderInContext(ir.context)
    }

    public func dispose() { LLVMDisposeBuilder(builder) }

    public func position(at block: LLVMBasicBlockRef) { LLVMPositionBuilderAtEnd(builder, block) }
    public var currentBlock: LLVMBasicBlockRef { LLVMGetInsertBlock(builder) }

    public func appendBlock(_ function: LLVMValue, _ name: String) -> LLVMBasicBlockRef {
        LLVMAppendBasicBlockInContext(ir.context, function, name)
    }

    // MARK: Memory

    public func alloca(_ type: LLVMType, _ name: String = "") -> LLVMValue { LLVMBuildAlloca(builder, type, name) }

    public func load(_ type: LLVMType, _ pointer: LLVMValue, align: Int = 0, _ name: String = "") -> LLVMValue {
        let value = LLVMBuildLoad2(builder, type, pointer, name)!
        if align > 0 { LLVMSetAlignment(value, UInt32(align)) }
        return value
    }

    /// A load whose value never changes while compiled code runs (LLVM may hoist and merge it).
    public func invariantLoad(_ type: LLVMType, _ pointer: LLVMValue, _ name: String = "") -> LLVMValue {
        let value = load(type, pointer, name)
        LLVMSetMetadata(value, ir.metadataKind("invariant.load"), ir.emptyMetadataNode())
        return value
    }

    @discardableResult
    public func store(_ value: LLVMValue, _ pointer: LLVMValue, align: Int = 0) -> LLVMValue {
        let instruction = LLVMBuildStore(builder, value, pointer)!
        if align > 0 { LLVMSetAlignment(instruction, UInt32(align)) }
        return instruction
    }

    /// `pointer + offset` bytes.
    public func byteOffset(_ pointer: LLVMValue, _ offset: LLVMValue, _ name: String = "") -> LLVMValue {
        var indices: [LLVMValue?] = [offset]
        return indices.withUnsafeMutableBufferPointer {
            LLVMBuildInBoundsGEP2(builder, ir.i8, pointer, $0.baseAddress, 1, name)
        }
    }

    public func byteOffset(_ pointer: LLVMValue, _ offset: Int, _ name: String = "") -> LLVMValue {
        offset == 0 ? pointer : byteOffset(pointer, ir.i64(offset), name)
    }

    /// `pointer + offset` bytes without the inbounds promise (for linear-memory addresses, whose
    /// offset can reach into guard pages).
    public func rawByteOffset(_ pointer: LLVMValue, _ offset: LLVMValue, _ name: String = "") -> LLVMValue {
        var indices: [LLVMValue?] = [offset]
        return indices.withUnsafeMutableBufferPointer {
            LLVMBuildGEP2(builder, ir.i8, pointer, $0.baseAddress, 1, name)
        }
    }

    // MARK: Arithmetic

    public func add(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildAdd(builder, a, b, "") }
    public func sub(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildSub(builder, a, b, "") }
    public func mul(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildMul(builder, a, b, "") }
    public func and(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildAnd(builder, a, b, "") }
    public func or(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildOr(builder, a, b, "") }
    public func xor(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildXor(builder, a, b, "") }
    public func shl(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildShl(builder, a, b, "") }
    public func lshr(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildLShr(builder, a, b, "") }
    public func ashr(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildAShr(builder, a, b, "") }
    public func sdiv(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildSDiv(builder, a, b, "") }
    public func udiv(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildUDiv(builder, a, b, "") }
    public func srem(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildSRem(builder, a, b, "") }
    public func urem(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildURem(builder, a, b, "") }
    public func neg(_ a: LLVMValue) -> LLVMValue { LLVMBuildNeg(builder, a, "") }
    public func not(_ a: LLVMValue) -> LLVMValue { LLVMBuildNot(builder, a, "") }

    public func fadd(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildFAdd(builder, a, b, "") }
    public func fsub(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildFSub(builder, a, b, "") }
    public func fmul(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildFMul(builder, a, b, "") }
    public func fdiv(_ a: LLVMValue, _ b: LLVMValue) -> LLVMValue { LLVMBuildFDiv(builder, a, b, "") }
    public func fneg(_ a: LLVMValue) -> LLVMValue { LLVMBuildFNeg(builder, a, "") }

    public func icmp(_ predicate: LLVMIntPredicate, _ a: LLVMValue, _ b: LLVMValue) -> LLVMValue {
        LLVMBuildICmp(builder, predicate, a, b, "")
    }

    public func fcmp(_ predicate: LLVMRealPredicate, _ a: LLVMValue, _ b: LLVMValue) -> LLVMValue {
        LLVMBuildFCmp(builder, predicate, a, b, "")
    }

    public func select(_ condition: LLVMValue, _ a: LLVMValue, _ b: LLVMValue) -> LLVMValue {
        LLVMBuildSelect(builder, condition, a, b, "")
    }

    // MARK: Casts

    public func zext(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue { LLVMBuildZExt(builder, value, type, "") }
    public func sext(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue { LLVMBuildSExt(builder, value, type, "") }
    public func trunc(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue { LLVMBuildTrunc(builder, value, type, "") }
    public func bitcast(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue {
        LLVMTypeOf(value) == type ? value : LLVMBuildBitCast(builder, value, type, "")
    }
    public func fptrunc(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue { LLVMBuildFPTrunc(builder, value, type, "") }
    public func fpext(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue { LLVMBuildFPExt(builder, value, type, "") }
    public func sitofp(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue { LLVMBuildSIToFP(builder, value, type, "") }
    public func uitofp(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue { LLVMBuildUIToFP(builder, value, type, "") }
    public func fptosi(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue { LLVMBuildFPToSI(builder, value, type, "") }
    public func fptoui(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue { LLVMBuildFPToUI(builder, value, type, "") }
    public func ptrToInt(_ value: LLVMValue, _ type: LLVMType) -> LLVMValue { LLVMBuildPtrToInt(builder, value, type, "") }

    // MARK: Aggregates and vectors

    public func extractValue(_ aggregate: LLVMValue, _ index: Int) -> LLVMValue {
        LLVMBuildExtractValue(builder, aggregate, UInt32(index), "")
    }

    public func insertValue(_ aggregate: LLVMValue, _ value: LLVMValue, _ index: Int) -> LLVMValue {
        LLVMBuildInsertValue(builder, aggregate, value, UInt32(index), "")
    }

    public func extractElement(_ vector: LLVMValue, _ index: LLVMValue) -> LLVMValue {
        LLVMBuildExtractElement(builder, vector, index, "")
    }

    public func insertElement(_ vector: LLVMValue, _ value: LLVMValue, _ index: LLVMValue) -> LLVMValue {
        LLVMBuildInsertElement(builder, vector, value, index, "")
    }

    public func shuffle(_ a: LLVMValue, _ b: LLVMValue, _ mask: [Int32]) -> LLVMValue {
        var elements: [LLVMValue?] = mask.map { $0 < 0 ? LLVMGetPoison(ir.i32) : ir.i32($0) }
        let maskValue = elements.withUnsafeMutableBufferPointer { LLVMConstVector($0.baseAddress, UInt32($0.count)) }
        return LLVMBuildShuffleVector(builder, a, b, maskValue, "")
    }

    // MARK: Control flow

    public func br(_ block: LLVMBasicBlockRef) { LLVMBuildBr(builder, block) }

    public func condBr(_ condition: LLVMValue, _ then: LLVMBasicBlockRef, _ otherwise: LLVMBasicBlockRef) {
        LLVMBuildCondBr(builder, condition, then, otherwise)
    }

    public func ret(_ value: LLVMValue?) {
        if let value { LLVMBuildRet(builder, value) } else { LLVMBuildRetVoid(builder) }
    }

    public func unreachable() { LLVMBuildUnreachable(builder) }

    public func switchOn(_ value: LLVMValue, default block: LLVMBasicBlockRef, cases: Int) -> LLVMValue {
        LLVMBuildSwitch(builder, value, block, UInt32(cases))
    }

    @discardableResult
    public func call(_ type: LLVMType, _ function: LLVMValue, _ args: [LLVMValue], _ name: String = "") -> LLVMValue {
        var args: [LLVMValue?] = args
        return args.withUnsafeMutableBufferPointer {
            LLVMBuildCall2(builder, type, function, $0.baseAddress, UInt32($0.count), name)
        }
    }

    /// A call that continues at `normal` when it returns and at `unwind` (a block starting with
    /// `landingpad`) when it unwinds.
    @discardableResult
    public func invoke(
        _ type: LLVMType, _ function: LLVMValue, _ args: [LLVMValue], normal: LLVMBasicBlockRef, unwind: LLVMBasicBlockRef
    ) -> LLVMValue {
        var args: [LLVMValue?] = args
        return args.withUnsafeMutableBufferPointer {
            LLVMBuildInvoke2(builder, type, function, $0.baseAddress, UInt32($0.count), normal, unwind, "")
        }
    }

    /// `landingpad { ptr, i32 } cleanup`: what the personality installed, the exception first.
    public func cleanupLandingPad() -> LLVMValue {
        let pad = LLVMBuildLandingPad(builder, ir.structType([ir.ptr, ir.i32]), nil, 0, "lp")!
        LLVMSetCleanup(pad, 1)
        return pad
    }

    @discardableResult
    public func callIntrinsic(_ name: String, _ types: [LLVMType], _ args: [LLVMValue]) -> LLVMValue {
        let (function, type) = ir.intrinsic(name, types)
        return call(type, function, args)
    }

    /// `value` passed through an empty inline-asm statement: the same bits, but LLVM can no longer
    /// see what they are (so it cannot fold an operation with it away). Floats travel as integers
    /// so the constraint is valid on every target.
    public func opaque(_ value: LLVMValue) -> LLVMValue {
        let type = LLVMTypeOf(value)!
        if LLVMGetTypeKind(type) == LLVMVectorTypeKind {
            // Vectors travel as two i64 halves: general registers exist on every target.
            var halves = bitcast(value, ir.v128)
            for i in 0..<2 {
                halves = insertElement(halves, opaque(extractElement(halves, ir.i32(i))), ir.i32(i))
            }
            return bitcast(halves, type)
        }
        let isFloat = LLVMGetTypeKind(type) == LLVMFloatTypeKind || LLVMGetTypeKind(type) == LLVMDoubleTypeKind
        let integerType = isFloat ? (LLVMGetTypeKind(type) == LLVMFloatTypeKind ? ir.i32 : ir.i64) : type
        let asmType = ir.function(integerType, [integerType])
        let constraints = "=r,0"
        let asm = LLVMGetInlineAsm(asmType, "", 0, constraints, constraints.utf8.count, 0, 0, LLVMInlineAsmDialectATT, 0)!
        let result = call(asmType, asm, [isFloat ? bitcast(value, integerType) : value])
        return isFloat ? bitcast(result, type) : result
    }
}
