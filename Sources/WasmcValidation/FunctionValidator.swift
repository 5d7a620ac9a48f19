import WasmParser
import WasmTypes
import WasmcModule

/// Validates one function body with the operand and control stacks of the spec's validation
/// algorithm, one instruction at a time.
///
/// `validateModule(_:)` runs it over every body. A code generator can also drive it itself,
/// calling ``validate(_:)`` before translating each instruction, to read the operand types
/// (``operands``) and reachability (``isUnreachable``) the instruction sees.
///
/// It conforms to `AnyInstructionVisitor` and switches over the whole `Instruction` enum, so
/// every instruction WasmParser can decode is either checked or rejected: nothing falls through
/// to the silent defaults of `InstructionVisitor`.
///
/// > Note: <https://webassembly.github.io/spec/core/appendix/algorithm.html>
public struct FunctionValidator: AnyInstructionVisitor {
    public typealias VisitorError = ModuleError

    /// Byte offset of the instruction being validated (set by ``validateBody(_:)``, or by the
    /// caller of ``validate(_:)``); errors point here.
    public var binaryOffset: Int = 0
    /// The function's index in the function index space (imports first).
    public let functionIndex: Int

    let context: ValidationContext
    /// Parameters, then declared locals.
    let locals: [OperandType]
    /// Which locals hold a value: all but the non-defaultable declared ones (non-null references)
    /// until set. `initializedLocals` lists those set since, in order; a block's frame records
    /// how many there were when it began, and its end forgets the ones set inside it.
    var isInitialized: [Bool]
    var initializedLocals: [Int] = []
    /// The operand stack. `unknown` entries come from popping the polymorphic stack of
    /// unreachable code and being pushed back (by `select`, `br_table`).
    var values: [OperandType] = []
    var controls: [ControlFrame] = []
    /// Set once the `end` that closes the function body has been validated.
    public private(set) var isFinished = false

    struct ControlFrame {
        enum Kind: UInt8 {
            case function, block, loop, `if`, `else`, tryTable
            /// The legacy `try`, before its first handler; its `catch` and `catch_all` handlers.
            case legacyTry, legacyCatch, legacyCatchAll
        }

        var kind: Kind
        var parameters: [OperandType]
        var results: [OperandType]
        /// Operand stack height when the block was entered (after popping its parameters).
        var height: Int
        /// Whether the rest of the block is unreachable (after `br`, `return`, `unreachable`...).
        var isUnreachable: Bool
        /// `initializedLocals.count` when the block began.
        var initializedHeight = 0

        /// The types a branch to this block's label carries: a loop's label is its start.
        var labelTypes: [OperandType] { kind == .loop ? parameters : results }
    }

    /// Prepares to validate the body of function `functionIndex` (a defined function; `locals`
    /// are its declared locals, after the parameters).
    public init(context: ValidationContext, functionIndex: Int, locals: [ValueType]) throws(ModuleError) {
        precondition(functionIndex < context.functionCount, "function \(functionIndex) does not exist")
        self.context = context
        self.functionIndex = functionIndex
        let signature = context.signature(ofFunction: functionIndex)
        let all: [OperandType]
        do {
            all = signature.parameters + (try context.operandTypes(locals))
        } catch {
            throw error.at(nil, function: functionIndex)
        }
        self.locals = all
        let parameterCount = signature.parameters.count
        isInitialized = all.indices.map { $0 < parameterCount || all[$0].isDefaultable }
        controls.append(
            ControlFrame(kind: .function, parameters: [], results: signature.results, height: 0, isUnreachable: false))
    }

    // MARK: Public state

    /// The operand types on the stack, bottom first (`unknown` where unreachable code popped
    /// more than it had and pushed the result back).
    public var operands: [OperandType] { values }

    /// Whether the code at this point is unreachable (after an unconditional branch in the
    /// current block), where the operand stack is polymorphic.
    public var isUnreachable: Bool { controls.last?.isUnreachable ?? true }

    /// How many blocks enclose the current instruction, counting the function body's.
    public var controlDepth: Int { controls.count }

    // MARK: Driving

    /// Validates a whole body, checking also that its `end`s close the function exactly at the
    /// end of the bytes.
    public mutating func validateBody(_ code: Code) throws(ModuleError) {
        var decoder = InstructionDecoder(code: code, features: context.features)
        while true {
            let offset = decoder.offset
            let next: Operator?
            do {
                next = try decoder.nextOperator()
            } catch {
                throw error.at(offset, function: functionIndex)
            }
            guard let next else { break }
            binaryOffset = offset
            switch next {
            case .instruction(let instruction): try validate(instruction)
            case .legacy(let instruction): try validate(instruction)
            }
        }
        guard isFinished else {
            throw ModuleError.unexpectedEndOfBody.at(decoder.offset, function: functionIndex)
        }
    }

    public mutating func visit(_ instruction: Instruction) throws(ModuleError) {
        try validate(instruction)
    }

    /// Validates the next instruction of the body; errors point at ``binaryOffset``.
    public mutating func validate(_ instruction: Instruction) throws(ModuleError) {
        guard !isFinished else { throw ModuleError.operatorsAfterEnd.at(binaryOffset, function: functionIndex) }
        do {
            try step(instruction)
        } catch {
            throw error.at(binaryOffset, function: functionIndex)
        }
    }

    /// Validates the next instruction of the body when it is a legacy exception instruction.
    ///
    /// > Note: <https://webassembly.github.io/spec/core/appendix/legacy.html>
    public mutating func validate(_ instruction: LegacyExceptionInstruction) throws(ModuleError) {
        guard !isFinished else { throw ModuleError.operatorsAfterEnd.at(binaryOffset, function: functionIndex) }
        do throws(ModuleError) {
            guard context.features.allows(.exceptionHandling) else {
                throw ModuleError.unsupportedInstruction("\(instruction)", .exceptionHandling)
            }
            try validateLegacy(instruction)
        } catch {
            throw error.at(binaryOffset, function: functionIndex)
        }
    }

    mutating func validateLegacy(_ instruction: LegacyExceptionInstruction) throws(ModuleError) {
        switch instruction {
        case .try(let blockType):
            let signature = try blockSignature(blockType)
            try pop(signature.parameters)
            pushControl(.legacyTry, signature)
        case .catch(let tag):
            let kind = controls[controls.count - 1].kind
            guard kind == .legacyTry || kind == .legacyCatch else { throw .invalid("catch without try") }
            let payload = try tagPayload(tag)
            let frame = try popControl()
            pushControl(.legacyCatch, Signature(parameters: [], results: frame.results))
            push(payload)
        case .catchAll:
            let kind = controls[controls.count - 1].kind
            guard kind == .legacyTry || kind == .legacyCatch else { throw .invalid("catch_all without try") }
            let frame = try popControl()
            pushControl(.legacyCatchAll, Signature(parameters: [], results: frame.results))
        case .delegate(let depth):
            guard controls[controls.count - 1].kind == .legacyTry else { throw .invalid("delegate without try") }
            let frame = try popControl()
            // The label counts from outside the try.
            guard Int(depth) < controls.count else { throw .unknownLabel(depth) }
            push(frame.results)
        case .rethrow(let depth):
            guard Int(depth) < controls.count else { throw .unknownLabel(depth) }
            let kind = controls[controls.count - 1 - Int(depth)].kind
            guard kind == .legacyCatch || kind == .legacyCatchAll else { throw .invalid("invalid rethrow label") }
            markUnreachable()
        }
    }

    // MARK: Operand stack

    @inline(__always)
    mutating func push(_ type: OperandType) {
        values.append(type)
    }

    @inline(__always)
    mutating func push(_ types: [OperandType]) {
        values.append(contentsOf: types)
    }

    /// Pops any operand; `unknown` from the polymorphic stack of unreachable code.
    mutating func pop() throws(ModuleError) -> OperandType {
        let current = controls.count - 1
        if values.count == controls[current].height {
            if controls[current].isUnreachable { return .unknown }
            throw .invalid("type mismatch: expected a value, but the stack is empty")
        }
        return values.removeLast()
    }

    /// Pops an operand that must match `expected`; returns its actual type.
    @discardableResult
    mutating func pop(_ expected: OperandType) throws(ModuleError) -> OperandType {
        let current = controls.count - 1
        if values.count == controls[current].height {
            if controls[current].isUnreachable { return .unknown }
            throw .typeMismatchEmptyStack(expected: expected)
        }
        let actual = values.removeLast()
        guard actual.matches(expected) else { throw .typeMismatch(expected: expected, got: actual) }
        return actual
    }

    /// Pops operands matching `types` (the last one on top).
    mutating func pop(_ types: [OperandType]) throws(ModuleError) {
        for type in types.reversed() {
            try pop(type)
        }
    }

    /// Pops operands matching `types` and returns their actual types, bottom first.
    mutating func popValues(_ types: [OperandType]) throws(ModuleError) -> [OperandType] {
        var popped = [OperandType](repeating: .unknown, count: types.count)
        for index in types.indices.reversed() {
            popped[index] = try pop(types[index])
        }
        return popped
    }

    // MARK: Control stack

    mutating func pushControl(_ kind: ControlFrame.Kind, _ signature: Signature) {
        controls.append(
            ControlFrame(
                kind: kind, parameters: signature.parameters, results: signature.results,
                height: values.count, isUnreachable: false, initializedHeight: initializedLocals.count))
        push(signature.parameters)
    }

    /// Records that a local holds a value from here to the end of the current block.
    mutating func initialize(_ index: Int) {
        guard !isInitialized[index] else { return }
        isInitialized[index] = true
        initializedLocals.append(index)
    }

    /// Pops the innermost block, whose results must be exactly what is left above its base.
    mutating func popControl() throws(ModuleError) -> ControlFrame {
        let frame = controls[controls.count - 1]
        try pop(frame.results)
        guard values.count == frame.height else {
            throw .typeMismatchValuesRemaining(count: values.count - frame.height, at: Self.describe(frame.kind))
        }
        for index in initializedLocals[frame.initializedHeight...] { isInitialized[index] = false }
        initializedLocals.removeSubrange(frame.initializedHeight...)
        controls.removeLast()
        return frame
    }

    /// Makes the rest of the current block unreachable: its operand stack becomes polymorphic.
    mutating func markUnreachable() {
        let index = controls.count - 1
        values.removeSubrange(controls[index].height...)
        controls[index].isUnreachable = true
    }

    /// The label types of the block `depth` levels out.
    func labelTypes(_ depth: UInt32) throws(ModuleError) -> [OperandType] {
        guard Int(depth) < controls.count else { throw .unknownLabel(depth) }
        return controls[controls.count - 1 - Int(depth)].labelTypes
    }

    static func describe(_ kind: ControlFrame.Kind) -> String {
        switch kind {
        case .function: "end of function"
        case .block: "end of block"
        case .loop: "end of loop"
        case .if: "end of if"
        case .else: "end of else"
        case .tryTable: "end of try_table"
        case .legacyTry: "end of try"
        case .legacyCatch: "end of catch"
        case .legacyCatchAll: "end of catch_all"
        }
    }

    /// The signature a block type gives `block`, `loop` and `if`.
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/types.html#block-types>
    func blockSignature(_ blockType: BlockType) throws(ModuleError) -> Signature {
        switch blockType {
        case .empty:
            return .empty
        case .type(let type):
            return Signature(parameters: [], results: try context.operandType(type).singleton)
        case .funcType(let index):
            guard Int(index) < context.types.count else { throw .unknownType(index) }
            return context.types[Int(index)]
        }
    }

    // MARK: Control instructions

    /// > Note: <https://webassembly.github.io/spec/core/valid/instructions.html#control-instructions>
    mutating func validateControl(_ instruction: Instruction) throws(ModuleError) {
        switch instruction {
        case .unreachable:
            markUnreachable()
        case .nop:
            break
        case .block(let blockType):
            let signature = try blockSignature(blockType)
            try pop(signature.parameters)
            pushControl(.block, signature)
        case .loop(let blockType):
            let signature = try blockSignature(blockType)
            try pop(signature.parameters)
            pushControl(.loop, signature)
        case .if(let blockType):
            let signature = try blockSignature(blockType)
            try pop(.i32)
            try pop(signature.parameters)
            pushControl(.if, signature)
        case .else:
            guard controls[controls.count - 1].kind == .if else { throw .elseWithoutIf }
            let frame = try popControl()
            pushControl(.else, Signature(parameters: frame.parameters, results: frame.results))
        case .end:
            let frame = try popControl()
            // An `if` without `else` has an empty else branch, which must turn the parameters
            // into the results by itself.
            if frame.kind == .if,
                frame.parameters.count != frame.results.count || !zip(frame.parameters, frame.results).allSatisfy({ $0.matches($1) })
            {
                throw .typeMismatchIfWithoutElse(params: frame.parameters, results: frame.results)
            }
            if frame.kind == .function {
                isFinished = true
            } else {
                push(frame.results)
            }
        case .br(let depth):
            try pop(try labelTypes(depth))
            markUnreachable()
        case .brIf(let depth):
            let types = try labelTypes(depth)
            try pop(.i32)
            try pop(types)
            push(types)
        case .brTable(let table):
            try pop(.i32)
            let defaultTypes = try labelTypes(table.defaultIndex)
            for depth in table.labelIndices {
                let types = try labelTypes(depth)
                guard types.count == defaultTypes.count else {
                    throw .typeMismatchBrTable(defaultArity: defaultTypes.count, targetArity: types.count)
                }
                // Each target checks the operands without consuming them.
                push(try popValues(types))
            }
            try pop(defaultTypes)
            markUnreachable()
        case .return:
            try pop(controls[0].results)
            markUnreachable()
        case .call(let function):
            guard Int(function) < context.functionCount else { throw .unknownFunction(function) }
            let signature = context.signature(ofFunction: Int(function))
            try pop(signature.parameters)
            push(signature.results)
        case .callIndirect(let typeIndex, let table):
            let signature = try indirectCallSignature(typeIndex: typeIndex, table: table)
            try pop(context.tableAddressTypes[Int(table)])
            try pop(signature.parameters)
            push(signature.results)
        // The callee's results become this function's: their types must be the same.
        case .returnCall(let function):
            guard Int(function) < context.functionCount else { throw .unknownFunction(function) }
            let signature = context.signature(ofFunction: Int(function))
            try checkTailCallResults(signature)
            try pop(signature.parameters)
            markUnreachable()
        case .returnCallIndirect(let typeIndex, let table):
            let signature = try indirectCallSignature(typeIndex: typeIndex, table: table)
            try checkTailCallResults(signature)
            try pop(context.tableAddressTypes[Int(table)])
            try pop(signature.parameters)
            markUnreachable()
        default:
            preconditionFailure("not a control instruction: \(instruction)")
        }
    }

    /// call_ref, return_call_ref, ref.as_non_null, br_on_null, br_on_non_null (typed function
    /// references).
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/instructions.html#reference-instructions>
    mutating func validateTypedReference(_ instruction: Instruction) throws(ModuleError) {
        switch instruction {
        case .callRef(let typeIndex):
            let signature = try referencedSignature(typeIndex)
            try pop(.ref(nullable: true, .type(context.canonicalTypes[Int(typeIndex)])))
            try pop(signature.parameters)
            push(signature.results)
        case .returnCallRef(let typeIndex):
            let signature = try referencedSignature(typeIndex)
            try checkTailCallResults(signature)
            try pop(.ref(nullable: true, .type(context.canonicalTypes[Int(typeIndex)])))
            try pop(signature.parameters)
            markUnreachable()
        case .refAsNonNull:
            let type = try popReference()
            push(type.nonNullable)
        case .brOnNull(let depth):
            let type = try popReference()
            let types = try labelTypes(depth)
            try pop(types)
            push(types)
            push(type.nonNullable)
        case .brOnNonNull(let depth):
            let type = try popReference()
            let types = try labelTypes(depth)
            guard let last = types.last, last.isReference else {
                throw .typeMismatch(expected: "a label whose last type is a reference", got: ModuleError.describe(types))
            }
            guard type.nonNullable.matches(last) else { throw .typeMismatch(expected: last, got: type.nonNullable) }
            let rest = Array(types.dropLast())
            try pop(rest)
            push(rest)
        default:
            preconditionFailure("not a typed reference instruction: \(instruction)")
        }
    }

    /// The signature of type `typeIndex`, which call_ref needs to be a function type.
    func referencedSignature(_ typeIndex: UInt32) throws(ModuleError) -> Signature {
        guard Int(typeIndex) < context.types.count else { throw .unknownType(typeIndex) }
        return context.types[Int(typeIndex)]
    }

    /// Pops an operand that must be a reference (`unknown` stays `unknown`).
    mutating func popReference() throws(ModuleError) -> OperandType {
        let type = try pop()
        guard type.isReference else { throw .typeMismatch(expected: "a reference", got: type.description) }
        return type
    }

    /// throw, throw_ref and try_table (exception handling).
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/instructions.html#control-instructions>
    mutating func validateException(_ instruction: Instruction) throws(ModuleError) {
        switch instruction {
        case .throw(let tag):
            try pop(try tagPayload(tag))
            markUnreachable()
        case .throwRef:
            try pop(.exnref)
            markUnreachable()
        case .tryTable(let blockType, let tryCatch):
            let signature = try blockSignature(blockType)
            // A handler branches to a label outside the try_table with what it caught (the
            // exception as a non-null reference).
            let exception = OperandType.ref(nullable: false, .exception)
            for clause in tryCatch.catches {
                let (carried, depth): ([OperandType], UInt32)
                switch clause {
                case .catch(let tag, let label): (carried, depth) = (try tagPayload(tag), label)
                case .catchRef(let tag, let label): (carried, depth) = (try tagPayload(tag) + [exception], label)
                case .catchAll(let label): (carried, depth) = ([], label)
                case .catchAllRef(let label): (carried, depth) = ([exception], label)
                }
                let expected = try labelTypes(depth)
                guard carried.count == expected.count, zip(carried, expected).allSatisfy({ $0.matches($1) }) else {
                    throw .typeMismatch(expected: ModuleError.describe(expected), got: ModuleError.describe(carried))
                }
            }
            try pop(signature.parameters)
            pushControl(.tryTable, signature)
        default:
            preconditionFailure("not an exception instruction: \(instruction)")
        }
    }

    func tagPayload(_ tag: UInt32) throws(ModuleError) -> [OperandType] {
        guard Int(tag) < context.tags.count else { throw .unknownTag(tag) }
        return context.tags[Int(tag)]
    }

    /// The type a call_indirect (or return_call_indirect) through `table` expects.
    func indirectCallSignature(typeIndex: UInt32, table: UInt32) throws(ModuleError) -> Signature {
        guard Int(table) < context.tables.count else { throw .unknownTable(table) }
        let elementType = context.tables[Int(table)]
        guard elementType.matches(.funcref) else { throw .typeMismatchCallIndirect(table: elementType) }
        guard Int(typeIndex) < context.types.count else { throw .unknownType(typeIndex) }
        return context.types[Int(typeIndex)]
    }

    func checkTailCallResults(_ callee: Signature) throws(ModuleError) {
        let results = controls[0].results
        guard callee.results.count == results.count, zip(callee.results, results).allSatisfy({ $0.matches($1) }) else {
            throw .typeMismatch(expected: ModuleError.describe(results), got: ModuleError.describe(callee.results))
        }
    }

    // MARK: Dispatch

    /// Validates one instruction. The switch is exhaustive over WasmParser's `Instruction`.
    mutating func step(_ instruction: Instruction) throws(ModuleError) {
        switch instruction {
        case .unreachable, .nop, .block, .loop, .if, .else, .end, .br, .brIf, .brTable, .return,
            .call, .callIndirect:
            try validateControl(instruction)
        case .returnCall, .returnCallIndirect:
            guard context.features.allows(.tailCalls) else {
                throw .unsupportedInstruction(Self.name(of: instruction), .tailCalls)
            }
            try validateControl(instruction)

        case .drop:
            _ = try pop()
        case .select:
            try validateSelect(type: nil)
        case .typedSelect(let type):
            try validateSelect(type: type)

        case .localGet(let index):
            let type = try local(index)
            guard isInitialized[Int(index)] else { throw .uninitializedLocal(index) }
            push(type)
        case .localSet(let index):
            try pop(try local(index))
            initialize(Int(index))
        case .localTee(let index):
            let type = try local(index)
            try pop(type)
            initialize(Int(index))
            push(type)
        case .globalGet(let index):
            push(try global(index).type)
        case .globalSet(let index):
            let global = try global(index)
            guard global.isMutable else { throw .globalIsImmutable(index) }
            try pop(global.type)

        case .load(let load, let memarg):
            try validateLoad(load, memarg: memarg)
        case .store(let store, let memarg):
            try validateStore(store, memarg: memarg)
        case .memorySize(let memory):
            push(try checkMemory(memory))
        case .memoryGrow(let memory):
            let addressType = try checkMemory(memory)
            try pop(addressType)
            push(addressType)
        case .memoryInit, .dataDrop, .memoryCopy, .memoryFill:
            try validateBulkMemory(instruction)

        case .i32Const: push(.i32)
        case .i64Const: push(.i64)
        case .f32Const: push(.f32)
        case .f64Const: push(.f64)
        case .i32Eqz:
            try pop(.i32)
            push(.i32)
        case .i64Eqz:
            try pop(.i64)
            push(.i32)
        case .cmp(let cmp):
            let type = Self.operandType(of: cmp)
            try pop(type)
            try pop(type)
            push(.i32)
        case .unary(let unary):
            let type = Self.operandType(of: unary)
            try pop(type)
            push(type)
        case .binary(let binary):
            let type = Self.operandType(of: binary)
            try pop(type)
            try pop(type)
            push(type)
        case .conversion(let conversion):
            let (from, to) = Self.operandTypes(of: conversion)
            try pop(from)
            push(to)

        case .refNull(let heapType):
            push(try context.operandType(ReferenceType(isNullable: true, heapType: heapType)))
        case .refIsNull:
            let type = try pop()
            guard type.isReference else { throw .typeMismatch(expected: "a reference", got: type.description) }
            push(.i32)
        case .refFunc(let function):
            guard Int(function) < context.functionCount else { throw .unknownFunction(function) }
            guard context.isDeclaredReference(function) else { throw .undeclaredFunctionReference(function) }
            push(context.functionReference(typeIndex: context.functionTypeIndices[Int(function)]))

        case .tableInit, .elemDrop, .tableCopy, .tableFill, .tableGet, .tableSet, .tableGrow, .tableSize:
            try validateTable(instruction)

        case .v128Const:
            push(.v128)
        case .i8x16Shuffle(let mask):
            try validateShuffle(mask)
        case .simd(let simd):
            try validateSIMD(simd)
        case .simdLane(let op, let lane):
            try validateSIMDLane(op, lane: lane)
        case .simdMemLane(let op, let memarg, let lane):
            try validateSIMDMemoryLane(op, memarg: memarg, lane: lane)

        case .throw, .throwRef, .tryTable:
            guard context.features.allows(.exceptionHandling) else {
                throw .unsupportedInstruction(Self.name(of: instruction), .exceptionHandling)
            }
            try validateException(instruction)

        // Instructions of later proposals, which WasmParser decodes whatever the features.
        case .callRef, .returnCallRef, .refAsNonNull, .brOnNull, .brOnNonNull:
            guard context.features.allows(.typedFunctionReferences) else {
                throw .unsupportedInstruction(Self.name(of: instruction), .typedFunctionReferences)
            }
            try validateTypedReference(instruction)
        case .atomicFence, .memoryAtomicNotify, .memoryAtomicWait32, .memoryAtomicWait64,
            .i32AtomicRmwAdd, .i64AtomicRmwAdd, .i32AtomicRmw8AddU, .i32AtomicRmw16AddU,
            .i64AtomicRmw8AddU, .i64AtomicRmw16AddU, .i64AtomicRmw32AddU,
            .i32AtomicRmwSub, .i64AtomicRmwSub, .i32AtomicRmw8SubU, .i32AtomicRmw16SubU,
            .i64AtomicRmw8SubU, .i64AtomicRmw16SubU, .i64AtomicRmw32SubU,
            .i32AtomicRmwAnd, .i64AtomicRmwAnd, .i32AtomicRmw8AndU, .i32AtomicRmw16AndU,
            .i64AtomicRmw8AndU, .i64AtomicRmw16AndU, .i64AtomicRmw32AndU,
            .i32AtomicRmwOr, .i64AtomicRmwOr, .i32AtomicRmw8OrU, .i32AtomicRmw16OrU,
            .i64AtomicRmw8OrU, .i64AtomicRmw16OrU, .i64AtomicRmw32OrU,
            .i32AtomicRmwXor, .i64AtomicRmwXor, .i32AtomicRmw8XorU, .i32AtomicRmw16XorU,
            .i64AtomicRmw8XorU, .i64AtomicRmw16XorU, .i64AtomicRmw32XorU,
            .i32AtomicRmwXchg, .i64AtomicRmwXchg, .i32AtomicRmw8XchgU, .i32AtomicRmw16XchgU,
            .i64AtomicRmw8XchgU, .i64AtomicRmw16XchgU, .i64AtomicRmw32XchgU,
            .i32AtomicRmwCmpxchg, .i64AtomicRmwCmpxchg, .i32AtomicRmw8CmpxchgU, .i32AtomicRmw16CmpxchgU,
            .i64AtomicRmw8CmpxchgU, .i64AtomicRmw16CmpxchgU, .i64AtomicRmw32CmpxchgU:
            throw .unsupportedInstruction(Self.name(of: instruction), .threads)
        case .refI31, .i31GetS, .i31GetU, .structNew, .structNewDefault, .structGet, .structGetS,
            .structGetU, .structSet, .arrayNew, .arrayNewDefault, .arrayNewFixed, .arrayGet, .arrayGetS,
            .arrayGetU, .arraySet, .arrayLen, .refEq, .anyConvertExtern, .externConvertAny,
            .arrayNewData, .arrayNewElem, .arrayFill, .arrayCopy, .arrayInitData, .arrayInitElem,
            .refTest, .refCast, .brOnCast, .brOnCastFail:
            throw .unsupportedInstruction(Self.name(of: instruction), .gc)
        }
    }

    /// The instruction's case name, for messages ("i32AtomicRmwAdd").
    static func name(of instruction: Instruction) -> String {
        let text = String(describing: instruction)
        return String(text.prefix { $0 != "(" })
    }
}
