import CLLVM
import WasmParser
import WasmTypes

/// Structured control flow: block, loop, if/else, end, br, br_if, br_table, return, unreachable.
/// <https://webassembly.github.io/spec/core/exec/instructions.html#control-instructions>
///
/// Values crossing a label travel through allocas owned by the target frame; LLVM's mem2reg/SROA
/// turn them into phis.
extension FunctionTranslator {
    func emitControl(_ instruction: Instruction) throws(CodegenError) {
        switch instruction {
        case .nop:
            break
        case .unreachable:
            emitTrapCall(.unreachable)
            markUnreachable()
        case .block(let blockType):
            let (params, results) = env.blockSignature(blockType)
            let end = b.appendBlock(function, "block.end")
            let slots = results.map { allocaBuilder.alloca(env.llvmType($0), "block.result") }
            frames.append(
                ControlFrame(
                    kind: .block, params: params, results: results, height: stack.count - params.count,
                    label: end, end: end, labelSlots: slots, resultSlots: slots))
        case .loop(let blockType):
            let (params, results) = env.blockSignature(blockType)
            let header = b.appendBlock(function, "loop")
            let end = b.appendBlock(function, "loop.end")
            let paramSlots = params.map { allocaBuilder.alloca(env.llvmType($0), "loop.param") }
            let resultSlots = results.map { allocaBuilder.alloca(env.llvmType($0), "loop.result") }
            let values = pop(params.count)
            for (slot, value) in zip(paramSlots, values) { b.store(value, slot) }
            b.br(header)
            b.position(at: header)
            countExecution()
            for (slot, type) in zip(paramSlots, params) { push(b.load(env.llvmType(type), slot)) }
            frames.append(
                ControlFrame(
                    kind: .loop, params: params, results: results, height: stack.count - params.count,
                    label: header, end: end, labelSlots: paramSlots, resultSlots: resultSlots))
        case .if(let blockType):
            let (params, results) = env.blockSignature(blockType)
            let condition = b.icmp(LLVMIntNE, pop(), ir.i32(0))
            let then = b.appendBlock(function, "if.then")
            let otherwise = b.appendBlock(function, "if.else")
            let end = b.appendBlock(function, "if.end")
            let slots = results.map { allocaBuilder.alloca(env.llvmType($0), "if.result") }
            b.condBr(condition, then, otherwise)
            b.position(at: then)
            var frame = ControlFrame(
                kind: .ifThen, params: params, results: results, height: stack.count - params.count,
                label: end, end: end, labelSlots: slots, resultSlots: slots)
            frame.elseBlock = otherwise
            frame.ifParams = Array(stack.suffix(params.count))
            frames.append(frame)
        case .else:
            var frame = frames.removeLast()
            fallThrough(to: &frame)
            stack.removeLast(stack.count - frame.height)
            b.position(at: frame.elseBlock!)
            stack.append(contentsOf: frame.ifParams)
            frame.kind = .ifElse
            frame.elseBlock = nil
            frame.unreachable = false
            frames.append(frame)
        case .end:
            var frame = frames.removeLast()
            if frame.kind == .tryTable || frame.kind == .legacyTry { handlers.removeLast() }
            if frame.kind == .legacyTry || frame.kind == .legacyCatch { endLegacyDispatch(frame, frameIndex: frames.count) }
            fallThrough(to: &frame)
            stack.removeLast(stack.count - frame.height)
            if frame.kind == .ifThen, let otherwise = frame.elseBlock {
                // An `if` without `else`: the else arm passes the parameters through.
                b.position(at: otherwise)
                for (slot, value) in zip(frame.resultSlots, frame.ifParams) { b.store(value, slot) }
                b.br(frame.end)
                frame.endReachedByBranch = true
            }
            if frame.kind == .function { return }
            continueAfter(frame)
        case .br(let depth):
            b.br(branchTarget(depth: Int(depth)))
            markUnreachable()
        case .brIf(let depth):
            let condition = b.icmp(LLVMIntNE, pop(), ir.i32(0))
            let target = branchTarget(depth: Int(depth))
            let next = b.appendBlock(function, "br_if.else")
            b.condBr(condition, target, next)
            b.position(at: next)
        case .brTable(let table):
            let index = pop()
            let defaultTarget = branchTarget(depth: Int(table.defaultIndex))
            var targets: [LLVMBasicBlockRef] = []
            for depth in table.labelIndices { targets.append(branchTarget(depth: Int(depth))) }
            let switchInstruction = b.switchOn(index, default: defaultTarget, cases: targets.count)
            for (i, target) in targets.enumerated() {
                LLVMAddCase(switchInstruction, ir.i32(i), target)
            }
            markUnreachable()
        case .return:
            b.br(branchTarget(depth: frames.count - 1))
            markUnreachable()
        case .brOnNull(let depth):
            // The reference stays on the stack when it is not null; a branch leaves it behind.
            let reference = pop()
            let isNull = b.icmp(LLVMIntEQ, reference, ir.null())
            let target = branchTarget(depth: Int(depth))
            let next = b.appendBlock(function, "br_on_null.else")
            b.condBr(isNull, target, next)
            b.position(at: next)
            push(reference)
        case .brOnNonNull(let depth):
            // The branch carries the reference; without one it is dropped.
            let isNull = b.icmp(LLVMIntEQ, stack[stack.count - 1], ir.null())
            let target = branchTarget(depth: Int(depth))
            let next = b.appendBlock(function, "br_on_non_null.else")
            b.condBr(isNull, next, target)
            b.position(at: next)
            _ = pop()
        default:
            throw CodegenError("not a control instruction: \(instruction)", functionIndex: functionIndex, offset: binaryOffset)
        }
    }

    /// Stores the label's values from the top of the stack into the target frame's slots and
    /// returns the block to branch to.
    func branchTarget(depth: Int) -> LLVMBasicBlockRef {
        let index = frames.count - 1 - depth
        let frame = frames[index]
        let values = stack.suffix(frame.labelTypes.count)
        for (slot, value) in zip(frame.labelSlots, values) { b.store(value, slot) }
        if frame.kind != .loop { frames[index].endReachedByBranch = true }
        return frame.label
    }

    /// At `else`/`end`: if the arm's end is reachable, carry its results to the end block.
    func fallThrough(to frame: inout ControlFrame) {
        guard !frame.unreachable else { return }
        if frame.kind == .legacyCatch, let caught = frame.caughtSlot {
            // The handler is done with the exception.
            env.callRuntime(.exceptionDrop, [ctx, b.load(ir.ptr, caught)], b)
        }
        let values = stack.suffix(frame.results.count)
        for (slot, value) in zip(frame.resultSlots, values) { b.store(value, slot) }
        b.br(frame.end)
        frame.endReachedByBranch = true
    }

    /// After a frame's end: code goes on in its end block with its results, or, when nothing
    /// reaches the end, is dead until the enclosing frame ends.
    func continueAfter(_ frame: ControlFrame) {
        if frame.endReachedByBranch {
            b.position(at: frame.end)
            for (slot, type) in zip(frame.resultSlots, frame.results) { push(b.load(env.llvmType(type), slot)) }
        } else {
            LLVMDeleteBasicBlock(frame.end)
            markUnreachable()
        }
    }

    func markUnreachable() {
        frames[frames.count - 1].unreachable = true
        deadNesting = 0
    }
}
