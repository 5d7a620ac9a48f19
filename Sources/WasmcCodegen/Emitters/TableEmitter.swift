import CLLVM
import WasmParser
import WasmcModule

/// Table instructions. table.get/set/size are inline; the rest call the runtime.
/// <https://webassembly.github.io/spec/core/exec/instructions.html#table-instructions>
extension FunctionTranslator {
    /// The `wasmc_table *` of table `index`.
    func tableObject(_ index: Index<TableSpace>) -> LLVMValue {
        env.tableObject(index, ctx: ctx, b)
    }

    /// Address of entry `i` (i32, or i64 for a 64-bit table) of `table`, trapping with `trap`
    /// when `i` is out of bounds.
    func tableEntry(_ table: LLVMValue, _ i: LLVMValue, orTrap trap: RuntimeABI.Trap) -> LLVMValue {
        let size = env.tableSize(table, b)
        let wide = LLVMTypeOf(i) == ir.i64
        self.trap(if: b.icmp(LLVMIntUGE, i, wide ? b.zext(size, ir.i64) : size), trap)
        return b.byteOffset(env.tableElements(table, b), b.mul(wide ? i : b.zext(i, ir.i64), ir.i64(8)))
    }

    func emitTable(_ instruction: Instruction) {
        switch instruction {
        case .tableGet(let table):
            let i = pop()
            push(b.load(ir.ptr, tableEntry(tableObject(Index(table)), i, orTrap: .tableOutOfBounds)))
        case .tableSet(let table):
            let value = pop(), i = pop()
            b.store(value, tableEntry(tableObject(Index(table)), i, orTrap: .tableOutOfBounds))
        // A 64-bit table's operands are i64: the runtime takes them as u32 (`runtimeU32`).
        case .tableSize(let table):
            let size = env.tableSize(tableObject(Index(table)), b)
            push(env.tableIs64(Index(table)) ? b.zext(size, ir.i64) : size)
        case .tableGrow(let table):
            let delta = pop(), initial = pop()
            guard env.tableIs64(Index(table)) else {
                push(env.callRuntime(.tableGrow, [ctx, ir.i32(Int(table)), initial, delta], b))
                break
            }
            // More than 2^32-1 entries can never be added: -1, as a failed grow returns.
            let tooMany = b.icmp(LLVMIntUGT, delta, ir.i64(UInt64(UInt32.max)))
            let grown = env.callRuntime(.tableGrow, [ctx, ir.i32(Int(table)), initial, b.trunc(delta, ir.i32)], b)
            let failed = b.or(tooMany, b.icmp(LLVMIntEQ, grown, ir.i32(-1)))
            push(b.select(failed, ir.i64(UInt64.max), b.zext(grown, ir.i64)))
        case .tableFill(let table):
            let n = runtimeU32(pop(), orTrap: .tableOutOfBounds), value = pop(), dst = runtimeU32(pop(), orTrap: .tableOutOfBounds)
            env.callRuntime(.tableFill, [ctx, ir.i32(Int(table)), dst, value, n], b)
        case .tableCopy(let dstTable, let srcTable):
            let n = runtimeU32(pop(), orTrap: .tableOutOfBounds), src = runtimeU32(pop(), orTrap: .tableOutOfBounds), dst = runtimeU32(pop(), orTrap: .tableOutOfBounds)
            env.callRuntime(.tableCopy, [ctx, ir.i32(Int(dstTable)), ir.i32(Int(srcTable)), dst, src, n], b)
        case .tableInit(let elem, let table):
            let n = pop(), src = pop(), dst = runtimeU32(pop(), orTrap: .tableOutOfBounds)
            env.callRuntime(.tableInit, [ctx, ir.i32(Int(table)), ir.i32(Int(elem)), dst, src, n], b)
        case .elemDrop(let elem):
            env.callRuntime(.elemDrop, [ctx, ir.i32(Int(elem))], b)
        default:
            preconditionFailure("not a table instruction")
        }
    }
}
