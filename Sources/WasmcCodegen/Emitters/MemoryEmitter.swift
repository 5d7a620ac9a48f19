import CLLVM
import WasmParser
import WasmcModule

/// Loads, stores, memory.size/grow and the bulk memory instructions.
/// <https://webassembly.github.io/spec/core/exec/instructions.html#memory-instructions>
///
/// An effective address is `base + zext(i32 address) + offset`, kept in that analyzable shape so
/// LLVM's vectorizer and alias analysis can reason about it. In guard mode the memory's
/// reservation covers every such address and out-of-bounds accesses fault into a trap; in explicit
/// mode each access compares its end against the current size.
extension FunctionTranslator {
    /// The base of memory `index`, loaded in the entry block the first time a function needs it.
    func memoryBase(_ index: Index<MemorySpace>) -> LLVMValue {
        if let base = memoryBases[index] { return base }
        let base = env.memoryBase(index, ctx: ctx, allocaBuilder)
        memoryBases[index] = base
        return base
    }

    /// The host address for an access of `size` bytes at `address` (i32) + `offset` in `memory`.
    func effectiveAddress(_ address: LLVMValue, offset: UInt64, size: Int, memory: UInt32) -> LLVMValue {
        if env.is64(Index(memory)) { return effectiveAddress64(address, offset: offset, size: size, memory: Index(memory)) }
        let index = b.add(b.zext(address, ir.i64), ir.i64(offset))
        if env.explicitBoundsChecks {
            let end = b.add(index, ir.i64(size))
            trap(if: b.icmp(LLVMIntUGT, end, env.memorySize(Index(memory), ctx: ctx, b)), .memoryOutOfBounds)
        }
        return b.rawByteOffset(memoryBase(Index(memory)), index)
    }

    /// The host address for an access of `size` bytes at `address` (i64) + `offset` in a 64-bit
    /// memory.
    ///
    /// Guard mode: no reservation covers every i64 address, but wasmc's memories hold at most
    /// 4 GiB, and their reservation covers 8 GiB + 64 KiB. The address is clamped to 2^32
    /// (`umin`, one branch-free instruction that vectorizes), so any address past 4 GiB lands in
    /// the guard region and faults there; an offset of 4 GiB or more can never be in bounds and
    /// traps outright. Measured on the benchmark kernels rebuilt for wasm64: see codegen.md.
    ///
    /// Explicit mode: `address + offset + size` must not wrap and must not pass the memory's
    /// size. (An offset plus size beyond 2^64 always traps.)
    func effectiveAddress64(_ address: LLVMValue, offset: UInt64, size: Int, memory: Index<MemorySpace>) -> LLVMValue {
        if !env.explicitBoundsChecks {
            let fourGiB: UInt64 = 1 << 32
            if offset >= fourGiB { trap(if: ir.i1(true), .memoryOutOfBounds) }
            let clamped = b.callIntrinsic("llvm.umin", [ir.i64], [address, ir.i64(fourGiB)])
            return b.rawByteOffset(memoryBase(memory), b.add(clamped, ir.i64(offset)))
        }
        let (reach, reachOverflows) = offset.addingReportingOverflow(UInt64(size))
        if reachOverflows {
            trap(if: ir.i1(true), .memoryOutOfBounds)
        } else {
            let sum = b.callIntrinsic("llvm.uadd.with.overflow", [ir.i64], [address, ir.i64(reach)])
            let end = b.extractValue(sum, 0)
            let wrapped = b.extractValue(sum, 1)
            let beyond = b.icmp(LLVMIntUGT, end, env.memorySize(memory, ctx: ctx, b))
            trap(if: b.or(wrapped, beyond), .memoryOutOfBounds)
        }
        return b.rawByteOffset(memoryBase(memory), b.add(address, ir.i64(offset)))
    }

    /// An operand of a bulk memory or table operation as the runtime's u32. An i32 passes as it
    /// is; an i64 (a 64-bit memory's or table's) past u32 is past the end of any memory (at most
    /// 4 GiB) or table (at most 2^32-1 entries) wasmc makes, so it traps with `trap`.
    func runtimeU32(_ value: LLVMValue, orTrap trap: RuntimeABI.Trap) -> LLVMValue {
        guard LLVMTypeOf(value) == ir.i64 else { return value }
        self.trap(if: b.icmp(LLVMIntUGT, value, ir.i64(UInt64(UInt32.max))), trap)
        return b.trunc(value, ir.i32)
    }

    func emitLoad(_ op: Instruction.Load, _ memarg: MemArg) throws(CodegenError) {
        let address = pop()
        func load(_ type: LLVMType, _ size: Int) -> LLVMValue {
            // Linear memory gives no alignment guarantee: the hint may be wrong, so align 1.
            b.load(type, effectiveAddress(address, offset: memarg.offset, size: size, memory: memarg.memory), align: 1)
        }
        switch op {
        case .i32Load: push(load(ir.i32, 4))
        case .i64Load: push(load(ir.i64, 8))
        case .f32Load: push(load(ir.f32, 4))
        case .f64Load: push(load(ir.f64, 8))
        case .i32Load8S: push(b.sext(load(ir.i8, 1), ir.i32))
        case .i32Load8U: push(b.zext(load(ir.i8, 1), ir.i32))
        case .i32Load16S: push(b.sext(load(ir.i16, 2), ir.i32))
        case .i32Load16U: push(b.zext(load(ir.i16, 2), ir.i32))
        case .i64Load8S: push(b.sext(load(ir.i8, 1), ir.i64))
        case .i64Load8U: push(b.zext(load(ir.i8, 1), ir.i64))
        case .i64Load16S: push(b.sext(load(ir.i16, 2), ir.i64))
        case .i64Load16U: push(b.zext(load(ir.i16, 2), ir.i64))
        case .i64Load32S: push(b.sext(load(ir.i32, 4), ir.i64))
        case .i64Load32U: push(b.zext(load(ir.i32, 4), ir.i64))
        case .v128Load: push(load(ir.v128, 16))
        default: try emitSIMDLoad(op, memarg, address: address)
        }
    }

    /// A load whose value wasm drops must still trap when out of bounds, but LLVM deletes loads
    /// whose value is unused. Marking exactly those loads volatile keeps them, and leaves every
    /// other load free to be optimized and vectorized. (A load whose value dies later, e.g. in a
    /// local that is never read, is not covered; compilers targeting wasm do not emit those.)
    func keepTrappingLoad(_ value: LLVMValue) {
        var value = value
        while LLVMIsACastInst(value) != nil { value = LLVMGetOperand(value, 0) }
        if LLVMIsALoadInst(value) != nil { LLVMSetVolatile(value, 1) }
    }

    func emitStore(_ op: Instruction.Store, _ memarg: MemArg) {
        let value = pop()
        let address = pop()
        func store(_ value: LLVMValue, _ size: Int) {
            b.store(value, effectiveAddress(address, offset: memarg.offset, size: size, memory: memarg.memory), align: 1)
        }
        switch op {
        case .i32Store, .i64Store, .f32Store, .f64Store:
            store(value, LLVMGetTypeKind(LLVMTypeOf(value)) == LLVMIntegerTypeKind ? Int(LLVMGetIntTypeWidth(LLVMTypeOf(value))) / 8 : (LLVMTypeOf(value) == ir.f32 ? 4 : 8))
        case .i32Store8, .i64Store8: store(b.trunc(value, ir.i8), 1)
        case .i32Store16, .i64Store16: store(b.trunc(value, ir.i16), 2)
        case .i64Store32: store(b.trunc(value, ir.i32), 4)
        case .v128Store: store(value, 16)
        default:
            preconditionFailure("validation rejects atomic stores")
        }
    }

    func emitBulkMemory(_ instruction: Instruction) {
        switch instruction {
        // A 64-bit memory's operands are i64: the runtime takes them as u32 (`runtimeU32`).
        case .memorySize(let memory):
            let pages = b.lshr(env.memorySize(Index(memory), ctx: ctx, b), ir.i64(16))
            push(env.is64(Index(memory)) ? pages : b.trunc(pages, ir.i32))
        case .memoryGrow(let memory):
            let delta = pop()
            guard env.is64(Index(memory)) else {
                push(env.callRuntime(.memoryGrow, [ctx, ir.i32(Int(memory)), delta], b))
                break
            }
            // More than 2^32 pages can never be added: -1, as a failed grow returns.
            let tooMany = b.icmp(LLVMIntUGT, delta, ir.i64(UInt64(UInt32.max)))
            let grown = env.callRuntime(.memoryGrow, [ctx, ir.i32(Int(memory)), b.trunc(delta, ir.i32)], b)
            push(b.select(tooMany, ir.i64(UInt64.max), b.sext(grown, ir.i64)))
        case .memoryFill(let memory):
            let n = runtimeU32(pop(), orTrap: .memoryOutOfBounds), value = pop()
            let dst = runtimeU32(pop(), orTrap: .memoryOutOfBounds)
            env.callRuntime(.memoryFill, [ctx, ir.i32(Int(memory)), dst, value, n], b)
        case .memoryCopy(let dstMemory, let srcMemory):
            let n = runtimeU32(pop(), orTrap: .memoryOutOfBounds), src = runtimeU32(pop(), orTrap: .memoryOutOfBounds)
            let dst = runtimeU32(pop(), orTrap: .memoryOutOfBounds)
            env.callRuntime(.memoryCopy, [ctx, ir.i32(Int(dstMemory)), ir.i32(Int(srcMemory)), dst, src, n], b)
        case .memoryInit(let data, let memory):
            let n = pop(), src = pop(), dst = runtimeU32(pop(), orTrap: .memoryOutOfBounds)
            env.callRuntime(.memoryInit, [ctx, ir.i32(Int(memory)), ir.i32(Int(data)), dst, src, n], b)
        case .dataDrop(let data):
            env.callRuntime(.dataDrop, [ctx, ir.i32(Int(data))], b)
        default:
            preconditionFailure("not a memory instruction")
        }
    }
}
