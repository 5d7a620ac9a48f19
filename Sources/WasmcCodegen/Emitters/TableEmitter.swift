import CLLVM
import WasmParser

/// Table instructions. table.get/set/size are inline; the rest call the runtime.
/// <https://webassembly.github.io/spec/core/exec/instructions.html#table-instructions>
extension FunctionTranslator {
    /// The `wasmc_table *` of table `index`.
    func tableObject(_ index: Int) -> LLVMValue {
        b.invariantLoad(ir.ptr, b.byteOffset(ctx, env.offsets.table(index)))
    }

    /// Address of entry `i` of `table`, trapping with `trap` when `i` is out of bounds.
    func tableEntry(_ table: LLVMValue, _ i: LLVMValue, orTrap trap: RuntimeABI.Trap) -> LLVMValue {
        let size = b.load(ir.i32, b.byteOffset(table, RuntimeABI.Table.size))
        self.trap(if: b.icmp(LLVMIntUGE, i, size), trap)
        let elements = b.load(ir.ptr, b.byteOffset(table, RuntimeABI.Table.elements))
        return b.byteOffset(elements, b.mul(b.zext(i, ir.i64), ir.i64(8)))
    }

    func emitTable(_ instruction: Instruction) {
        switch instruction {
        case .tableGet(let table):
            let i = pop()
            push(b.load(ir.ptr, tableEntry(tableObject(Int(table)), i, orTrap: .tableOutOfBounds)))
        case .tableSet(let table):
            let value = pop(), i = pop()
            b.store(value, tableEntry(tableObject(Int(table)), i, orTrap: .tableOutOfBounds))
        case .tableSize(let table):
            push(b.load(ir.i32, b.byteOffset(tableObject(Int(table)), RuntimeABI.Table.size)))
        case .tableGrow(let table):
            let delta = pop(), initial = pop()
            push(env.callRuntime(.tableGrow, [ctx, ir.i32(Int(table)), initial, delta], b))
        case .tableFill(let table):
            let n = pop(), value = pop(), dst = pop()
            env.callRuntime(.tableFill, [ctx, ir.i32(Int(table)), dst, value, n], b)
        case .tableCopy(let dstTable, let srcTable):
            let n = pop(), src = pop(), dst = pop()
            env.callRuntime(.tableCopy, [ctx, ir.i32(Int(dstTable)), ir.i32(Int(srcTable)), dst, src, n], b)
        case .tableInit(let elem, let table):
            let n = pop(), src = pop(), dst = pop()
            env.callRuntime(.tableInit, [ctx, ir.i32(Int(table)), ir.i32(Int(elem)), dst, src, n], b)
        case .elemDrop(let elem):
            env.callRuntime(.elemDrop, [ctx, ir.i32(Int(elem))], b)
        default:
            preconditionFailure("not a table instruction")
        }
    }
}
