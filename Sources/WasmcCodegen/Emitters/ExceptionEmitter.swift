import CLLVM
import WasmParser
import WasmTypes
import WasmcModule

/// A try_table (or legacy try) being translated: where exceptions thrown inside it go.
struct ExceptionHandler {
    /// The index of its frame in `FunctionTranslator.frames`.
    let frameIndex: Int
    /// The block that matches an exception (in `exceptionSlot`) against the catch clauses.
    let dispatch: LLVMBasicBlockRef
    /// Holds the exception (`wasmc_exception *`) on the way to `dispatch`.
    let exceptionSlot: LLVMValue
    /// The landing pad of the calls inside, made when the first one needs it.
    var landingPad: LLVMBasicBlockRef?
}

/// Exception handling: try_table, throw, throw_ref, and the legacy try, catch, catch_all,
/// rethrow and delegate.
/// <https://webassembly.github.io/spec/core/exec/instructions.html#exception-handling>
/// <https://webassembly.github.io/spec/core/appendix/legacy.html>
///
/// Exceptions unwind natively (Runtime/src/exception.c). A call that can throw is a plain call
/// outside a try_table and an `invoke` inside one, whose landing pad hands the exception to the
/// try_table's dispatch block: it compares the exception's tag with each catch clause's in order
/// and branches to the first match's label with the payload (and the exnref for the `_ref`
/// forms); without a match it goes on to the enclosing try_table's dispatch, and past the
/// outermost it throws the exception again, to the callers. The path where nothing is thrown
/// has no added instruction: the landing pads are reached only by the unwinder.
extension FunctionTranslator {
    func emitTryTable(_ blockType: BlockType, _ catches: [CatchClause]) {
        let (params, results) = env.blockSignature(blockType)
        // Catch labels count from the try_table's position, outside its own frame.
        let outerFrameCount = frames.count
        let end = b.appendBlock(function, "try.end")
        let slots = results.map { allocaBuilder.alloca(env.llvmType($0), "try.result") }
        frames.append(
            ControlFrame(
                kind: .tryTable, params: params, results: results, height: stack.count - params.count,
                label: end, end: end, labelSlots: slots, resultSlots: slots))

        let handler = ExceptionHandler(
            frameIndex: outerFrameCount, dispatch: b.appendBlock(function, "catch.dispatch"),
            exceptionSlot: allocaBuilder.alloca(ir.ptr, "exn"), landingPad: nil)
        let saved = b.currentBlock
        b.position(at: handler.dispatch)
        let exception = b.load(ir.ptr, handler.exceptionSlot)
        for clause in catches {
            let (tag, label, withReference): (Index<TagSpace>?, UInt32, Bool)
            switch clause {
            case .catch(let index, let depth): (tag, label, withReference) = (Index(index), depth, false)
            case .catchRef(let index, let depth): (tag, label, withReference) = (Index(index), depth, true)
            case .catchAll(let depth): (tag, label, withReference) = (nil, depth, false)
            case .catchAllRef(let depth): (tag, label, withReference) = (nil, depth, true)
            }
            var next: LLVMBasicBlockRef?
            if let tag {
                let matched = b.appendBlock(function, "catch")
                next = b.appendBlock(function, "catch.next")
                b.condBr(hasTag(exception, tag), matched, next!)
                b.position(at: matched)
            }
            var values = tag.map { payload(of: exception, tag: $0) } ?? []
            if withReference {
                // The exception becomes a value the code may keep: never freed before its store.
                b.store(ir.i32(1), b.byteOffset(exception, RuntimeABI.Exception.exposed), align: 4)
                values.append(exception)
            } else {
                env.callRuntime(.exceptionDrop, [ctx, exception], b)
            }
            branch(toFrame: outerFrameCount - 1 - Int(label), with: values)
            guard let next else { break }  // a catch_all ends the list of what can match
            b.position(at: next)
        }
        if LLVMGetBasicBlockTerminator(b.currentBlock) == nil {
            handOn(exception, outside: outerFrameCount)
        }
        b.position(at: saved)
        handlers.append(handler)
    }

    func emitLegacy(_ instruction: LegacyExceptionInstruction) {
        switch instruction {
        case .try(let blockType):
            let (params, results) = env.blockSignature(blockType)
            let end = b.appendBlock(function, "try.end")
            let slots = results.map { allocaBuilder.alloca(env.llvmType($0), "try.result") }
            var frame = ControlFrame(
                kind: .legacyTry, params: params, results: results, height: stack.count - params.count,
                label: end, end: end, labelSlots: slots, resultSlots: slots)
            let handler = ExceptionHandler(
                frameIndex: frames.count, dispatch: b.appendBlock(function, "try.dispatch"),
                exceptionSlot: allocaBuilder.alloca(ir.ptr, "exn"), landingPad: nil)
            frame.legacyCursor = handler.dispatch
            frame.legacyExceptionSlot = handler.exceptionSlot
            frames.append(frame)
            handlers.append(handler)
        case .catch, .catchAll:
            var frame = frames.removeLast()
            // The try's handler covers its body, not its handlers.
            if frame.kind == .legacyTry { handlers.removeLast() }
            fallThrough(to: &frame)
            stack.removeLast(stack.count - frame.height)
            let body = b.appendBlock(function, "catch.body")
            b.position(at: frame.legacyCursor!)
            let exception = b.load(ir.ptr, frame.legacyExceptionSlot!)
            var tag: Index<TagSpace>?
            if case .catch(let tagIndex) = instruction {
                tag = Index(tagIndex)
                let next = b.appendBlock(function, "catch.next")
                b.condBr(hasTag(exception, tag!), body, next)
                frame.legacyCursor = next
            } else {
                b.br(body)
                frame.legacyCursor = nil
            }
            b.position(at: body)
            let caught = frame.caughtSlot ?? allocaBuilder.alloca(ir.ptr, "caught")
            frame.caughtSlot = caught
            b.store(exception, caught)
            frame.height = stack.count
            if let tag { stack.append(contentsOf: payload(of: exception, tag: tag)) }
            frame.kind = .legacyCatch
            frame.unreachable = false
            frames.append(frame)
        case .delegate(let depth):
            var frame = frames.removeLast()
            handlers.removeLast()
            // The body's exceptions go on as if thrown just inside the label `depth` out (counted
            // from outside the try): to the handler of that frame, if it is a try, or further out.
            let saved = b.currentBlock
            b.position(at: frame.legacyCursor!)
            handOn(b.load(ir.ptr, frame.legacyExceptionSlot!), outside: frames.count - Int(depth))
            b.position(at: saved)
            fallThrough(to: &frame)
            stack.removeLast(stack.count - frame.height)
            continueAfter(frame)
        case .rethrow(let depth):
            let exception = b.load(ir.ptr, frames[frames.count - 1 - Int(depth)].caughtSlot!)
            // Thrown again, it may be caught again: no handler may free it early.
            b.store(ir.i32(1), b.byteOffset(exception, RuntimeABI.Exception.exposed), align: 4)
            throwAgain(exception, locally: true)
            markUnreachable()
        }
    }

    /// At the `end` of a legacy try (frame `frameIndex`, popped): an exception no `catch` of it
    /// matched goes on to the enclosing handlers.
    func endLegacyDispatch(_ frame: ControlFrame, frameIndex: Int) {
        guard let cursor = frame.legacyCursor else { return }
        let saved = b.currentBlock
        b.position(at: cursor)
        handOn(b.load(ir.ptr, frame.legacyExceptionSlot!), outside: frameIndex)
        b.position(at: saved)
    }

    /// Hands `exception` to the innermost handler whose frame lies outside `frames[frameIndex]`
    /// (below that index), or throws it on to the callers when there is none.
    private func handOn(_ exception: LLVMValue, outside frameIndex: Int) {
        if let handler = handlers.last(where: { $0.frameIndex < frameIndex }) {
            b.store(exception, handler.exceptionSlot)
            b.br(handler.dispatch)
        } else {
            throwAgain(exception)
        }
    }

    /// Inside a handler of this function the exception goes straight to it: only a throw that
    /// leaves the function unwinds.
    func emitThrow(tag: Index<TagSpace>) {
        let payload = payloadTypes(tag)
        let values = pop(payload.count)
        let io = allocaBuilder.alloca(ir.array(ir.i8, RuntimeABI.valueSize * max(1, payload.count)), "payload")
        LLVMSetAlignment(io, 16)
        for (i, value) in values.enumerated() {
            b.store(value, b.byteOffset(io, RuntimeABI.valueSize * i), align: 8)
        }
        if let handler = handlers.last {
            let exception = env.callRuntime(.exceptionNew, [ctx, ir.i32(tag.rawValue), io], b)
            b.store(exception, handler.exceptionSlot)
            b.br(handler.dispatch)
        } else {
            throwToCallers(.throw, [ctx, ir.i32(tag.rawValue), io])
        }
        markUnreachable()
    }

    func emitThrowRef() {
        throwAgain(pop(), locally: true)
        markUnreachable()
    }

    /// Where a call that throws here unwinds to: the innermost try_table's landing pad (made on
    /// first use), or nil outside every try_table.
    func unwindTarget() -> LLVMBasicBlockRef? {
        guard let innermost = handlers.indices.last else { return nil }
        if let pad = handlers[innermost].landingPad { return pad }
        let saved = b.currentBlock
        let pad = b.appendBlock(function, "landing")
        b.position(at: pad)
        let exception = b.extractValue(b.cleanupLandingPad(), 0)
        b.store(exception, handlers[innermost].exceptionSlot)
        b.br(handlers[innermost].dispatch)
        b.position(at: saved)
        LLVMSetPersonalityFn(function, env.personality)
        handlers[innermost].landingPad = pad
        return pad
    }

    /// The types of the values an exception of `tag` carries.
    private func payloadTypes(_ tag: Index<TagSpace>) -> [ValueType] {
        env.module.types[Int(env.module.tags[tag.rawValue])].parameters
    }

    /// Whether `exception` (a `wasmc_exception *`) was thrown with `tag` (an i1).
    private func hasTag(_ exception: LLVMValue, _ tag: Index<TagSpace>) -> LLVMValue {
        let thrownTag = b.load(ir.ptr, b.byteOffset(exception, RuntimeABI.Exception.tag))
        return b.icmp(LLVMIntEQ, thrownTag, env.tagObject(tag, ctx: ctx, b))
    }

    /// The payload of `exception`, thrown with `tag`.
    private func payload(of exception: LLVMValue, tag: Index<TagSpace>) -> [LLVMValue] {
        payloadTypes(tag).enumerated().map { i, type in
            b.load(env.llvmType(type), b.byteOffset(exception, RuntimeABI.Exception.values + RuntimeABI.valueSize * i), align: 8)
        }
    }

    /// Stores `values` into the label slots of `frames[index]` and branches to its label.
    private func branch(toFrame index: Int, with values: [LLVMValue]) {
        let frame = frames[index]
        for (slot, value) in zip(frame.labelSlots, values) { b.store(value, slot) }
        if frame.kind != .loop { frames[index].endReachedByBranch = true }
        b.br(frame.label)
    }

    /// Throws `exception` again (throw_ref, rethrow): to the innermost handler of this
    /// function when `locally` and there is one (a null exnref traps), else on to the callers
    /// (past every handler of this function: the handlers that matched nothing or that a
    /// `delegate` skips).
    private func throwAgain(_ exception: LLVMValue, locally: Bool = false) {
        guard locally, let handler = handlers.last else {
            throwToCallers(.throwRef, [ctx, exception])
            return
        }
        trap(if: b.icmp(LLVMIntEQ, exception, ir.null()), .nullExceptionReference)
        b.store(exception, handler.exceptionSlot)
        b.br(handler.dispatch)
    }

    /// A runtime call that throws to the callers and never returns.
    private func throwToCallers(_ runtimeFunction: RuntimeABI.Function, _ args: [LLVMValue]) {
        let call = env.callRuntime(runtimeFunction, args, b)
        LLVMAddCallSiteAttribute(call, LLVMAttributeIndex(bitPattern: -1), ir.enumAttribute("noreturn"))
        b.unreachable()
    }
}
