import WasmParser
import WasmTypes
import WasmcModule

// Every message the validator produces, in one place.
//
// The wording follows the WebAssembly reference interpreter (the messages the spec test suite's
// `assert_invalid` directives expect as prefixes), with the offending index or type appended.
// The factories return errors without a location; `FunctionValidator` and `ModuleValidator`
// attach the byte offset (and function index) where they throw.

extension ModuleError {
    static func invalid(_ message: String) -> ModuleError {
        ModuleError(.invalid, message)
    }

    static func malformed(_ message: String) -> ModuleError {
        ModuleError(.malformed, message)
    }

    /// The same error, pointing at `offset` (and `function`, for errors inside a body).
    func at(_ offset: Int?, function: Int? = nil) -> ModuleError {
        var error = self
        if error.offset == nil { error.offset = offset }
        if error.functionIndex == nil { error.functionIndex = function }
        return error
    }

    // MARK: Types and stacks

    static func typeMismatch(expected: String, got: String) -> ModuleError {
        .invalid("type mismatch: expected \(expected), got \(got)")
    }

    static func typeMismatch(expected: OperandType, got: OperandType) -> ModuleError {
        .typeMismatch(expected: expected.description, got: got.description)
    }

    /// An operand was needed but the current block has none left on the stack.
    static func typeMismatchEmptyStack(expected: OperandType) -> ModuleError {
        .invalid("type mismatch: expected \(expected.description), but the stack is empty")
    }

    /// A block ended (or the function returned) with operands left over.
    static func typeMismatchValuesRemaining(count: Int, at construct: String) -> ModuleError {
        .invalid("type mismatch: \(count) value\(count == 1 ? "" : "s") remaining on the stack at \(construct)")
    }

    /// An `if` without `else` whose block type does not give the same types in and out.
    static func typeMismatchIfWithoutElse(params: [OperandType], results: [OperandType]) -> ModuleError {
        .invalid(
            "type mismatch: if without else must have matching parameters and results, got \(describe(params)) -> \(describe(results))"
        )
    }

    static func typeMismatchBrTable(defaultArity: Int, targetArity: Int) -> ModuleError {
        .invalid("type mismatch: br_table targets have different arities (\(defaultArity) and \(targetArity))")
    }

    /// Untyped `select` on operands that are not both numeric or both vectors.
    static func typeMismatchSelect(_ first: OperandType, _ second: OperandType) -> ModuleError {
        .invalid("type mismatch: select without a type needs numeric or vector operands, got \(first) and \(second)")
    }

    static func typeMismatchTableElements(table: OperandType, segment: OperandType) -> ModuleError {
        .invalid("type mismatch: table of \(table) cannot hold elements of \(segment)")
    }

    static func typeMismatchTableCopy(destination: OperandType, source: OperandType) -> ModuleError {
        .invalid("type mismatch: table.copy from a table of \(source) to a table of \(destination)")
    }

    static func typeMismatchCallIndirect(table: OperandType) -> ModuleError {
        .invalid("type mismatch: call_indirect needs a funcref table, got a table of \(table)")
    }

    static func typeMismatchConstant(expected: OperandType, got: [OperandType]) -> ModuleError {
        .invalid("type mismatch: constant expression must produce [\(expected)], got \(describe(got))")
    }

    static func typeMismatchElementSegment(expected: OperandType, got: OperandType) -> ModuleError {
        .invalid("type mismatch: element segment of \(expected) has an item of type \(got)")
    }

    static let invalidResultArity = ModuleError.invalid("invalid result arity")

    // MARK: Indices

    static func unknownType(_ index: UInt32) -> ModuleError { .invalid("unknown type \(index)") }
    static func unknownFunction(_ index: UInt32) -> ModuleError { .invalid("unknown function \(index)") }
    static func unknownTable(_ index: UInt32) -> ModuleError { .invalid("unknown table \(index)") }
    static func unknownMemory(_ index: UInt32) -> ModuleError { .invalid("unknown memory \(index)") }
    static func unknownGlobal(_ index: UInt32) -> ModuleError { .invalid("unknown global \(index)") }
    static func unknownTag(_ index: UInt32) -> ModuleError { .invalid("unknown tag \(index)") }
    static func uninitializedLocal(_ index: UInt32) -> ModuleError { .invalid("uninitialized local \(index)") }
    static var nonEmptyTagResultType: ModuleError { .invalid("non-empty tag result type") }
    static func unknownLocal(_ index: UInt32) -> ModuleError { .invalid("unknown local \(index)") }
    static func unknownLabel(_ depth: UInt32) -> ModuleError { .invalid("unknown label \(depth)") }
    static func unknownDataSegment(_ index: UInt32) -> ModuleError { .invalid("unknown data segment \(index)") }
    static func unknownElemSegment(_ index: UInt32) -> ModuleError { .invalid("unknown elem segment \(index)") }

    // MARK: Instructions

    static func globalIsImmutable(_ index: UInt32) -> ModuleError {
        .invalid("global is immutable: global.set of global \(index)")
    }

    static func alignmentTooLarge(align: UInt32, natural: Int) -> ModuleError {
        .invalid("alignment must not be larger than natural (2^\(align) > 2^\(natural))")
    }

    static func invalidLaneIndex(_ lane: UInt8, laneCount: Int) -> ModuleError {
        .invalid("invalid lane index \(lane) (lane count \(laneCount))")
    }

    static func undeclaredFunctionReference(_ index: UInt32) -> ModuleError {
        .invalid("undeclared function reference \(index)")
    }

    /// `memory.init` or `data.drop` without a data count section. The spec makes this a rule of
    /// the binary format (5.5.13), so the module is malformed rather than invalid.
    static let dataCountSectionRequired = ModuleError.malformed("data count section required")

    // MARK: Module level

    static let sizeMinimumGreaterThanMaximum = ModuleError.invalid("size minimum must not be greater than maximum")
    static let memorySizeTooLarge = ModuleError.invalid("memory size must be at most 65536 pages (4GiB)")
    static let memory64SizeTooLarge = ModuleError.invalid("memory size must be at most 2^48 pages")
    static func offsetOutOfRange(_ offset: UInt64) -> ModuleError {
        .invalid("offset out of range: \(offset) does not fit a 32-bit memory's u32")
    }
    /// Cannot happen with 32-bit limits; kept for the rule's completeness.
    static let tableSizeTooLarge = ModuleError.invalid("table size must be at most 2^32-1")
    static let multipleMemories = ModuleError.invalid("multiple memories")

    static func duplicateExportName(_ name: String) -> ModuleError {
        .invalid("duplicate export name \"\(name)\"")
    }

    static let constantExpressionRequired = ModuleError.invalid("constant expression required")

    static func constantExpressionRequired(mutableGlobal index: UInt32) -> ModuleError {
        .invalid("constant expression required: global \(index) is mutable")
    }

    static func startFunction(_ type: FunctionType) -> ModuleError {
        .invalid("start function must have type [] -> [], got \(type.parameters) -> \(type.results)")
    }

    // MARK: Outside WebAssembly 2.0 or not decodable

    /// A value or reference type of a proposal wasmc does not implement (or the features leave
    /// out).
    static func unsupportedType(_ type: ValueType) -> ModuleError {
        .unsupported(Proposal.needed(by: type), "type \(type)")
    }

    static func unsupportedType(_ type: ReferenceType) -> ModuleError {
        unsupportedType(.ref(type))
    }

    static func unsupportedInstruction(_ name: String, _ proposal: Proposal) -> ModuleError {
        .unsupported(proposal, name)
    }

    static func malformedMemopFlags(_ align: UInt32) -> ModuleError {
        .malformed("malformed memop flags: alignment exponent \(align)")
    }

    static let elseWithoutIf = ModuleError.malformed("else without a matching if")
    static let operatorsAfterEnd = ModuleError.malformed("operators remaining after end of function")
    static let unexpectedEndOfBody = ModuleError.malformed("unexpected end of function body: END opcode expected")

    static func describe(_ types: [OperandType]) -> String {
        "[" + types.map(\.description).joined(separator: " ") + "]"
    }
}
