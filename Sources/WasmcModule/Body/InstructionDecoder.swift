import WasmParser
import WasmTypes

/// Decodes the instructions of one function body, one at a time, into WasmParser's `Instruction`
/// values (`next()`), or into `Operator`s, which add the legacy exception instructions that
/// `Instruction` has no case for (`nextOperator()`).
///
/// It replaces WasmKit's `ExpressionParser`, which reads the sub-opcode after the `0xFC` and `0xFD`
/// prefixes as a single byte where the spec has a u32 LEB128 that may be over-long (`FC 80 00` is
/// `i32.trunc_sat_f32_s`), and which decodes the instructions of later proposals whatever the
/// features. Here:
/// - every integer is an LEB128 read to the letter of the spec (u32, s32, s33 block types, s64):
///   over-long encodings within the byte limit are accepted; one byte too many is "integer
///   representation too long", unused bits that are not zero (or copies of the sign) "integer too
///   large";
/// - an opcode of a proposal wasmc does not compile (threads, typed references, GC) is
///   "unsupported", one of no proposal at all an "illegal opcode"; the instructions of the 3.0
///   proposals wasmc compiles are decoded whatever the features (the validator refuses those the
///   features leave out), and one-byte value types include `exnref`;
/// - memory indices are the single reserved `0x00` byte of 2.0, and a memarg's flags are the
///   alignment exponent, unchecked here (`MemArg.align`, which the validator compares with the
///   access size).
///
/// Like `ExpressionParser`, it knows nothing of blocks: it returns every instruction up to the last
/// byte of the body, then `nil`. Whether an `end` closes the function at that last byte, and no
/// instruction follows it, is the validator's check ("END opcode expected", "operators remaining
/// after end of function").
///
/// Errors are `ModuleError`s of kind `malformed` at the offset of the offending byte, naming the
/// opcode they occur in, with one exception: a typed `select` whose type vector does not have
/// exactly one type is well-formed but invalid ("invalid result arity"), and is thrown as such
/// because `Instruction.typedSelect` holds a single type. The caller adds the function index.
///
/// > Note: <https://webassembly.github.io/spec/core/binary/instructions.html>
public struct InstructionDecoder {
    /// The body's instructions. A `Code` from `decodeModule` holds a slice of the module's bytes,
    /// so indices here are byte offsets in the module binary.
    let bytes: ArraySlice<UInt8>
    /// The index of the next byte to read.
    var position: Int
    /// Where the instruction being decoded starts, and its opcode, for error messages.
    var instructionStart: Int
    var opcode = Opcode(prefix: nil, code: 0)
    /// Whether memory indices are encoded (multi-memory, 3.0): in a memarg behind bit 6 of its
    /// flags, and as a u32 where 2.0 has a reserved zero byte.
    let memoryIndices: Bool
    /// Whether a memarg's offset is a u64 (memory64, 3.0; the validator keeps it below 2^32 for
    /// a 32-bit memory) rather than 2.0's u32.
    let wideOffsets: Bool

    /// Prepares to decode the body of `code` (its locals are already decoded in `code.locals`),
    /// encoded as `features` say (the proposals that change how 2.0 instructions are encoded).
    public init(code: Code, features: WasmFeatures = .default) {
        bytes = code.expression
        position = bytes.startIndex
        instructionStart = position
        memoryIndices = features.allows(.multiMemory)
        wideOffsets = features.allows(.memory64)
    }

    /// The byte offset in the module of the next instruction; once the body is decoded, the
    /// offset of its end.
    public var offset: Int { position }

    /// Decodes the next instruction or legacy exception instruction, or returns `nil` when every
    /// byte of the body is decoded.
    public mutating func nextOperator() throws(ModuleError) -> Operator? {
        guard position < bytes.endIndex else { return nil }
        let byte = bytes[position]
        guard [0x06, 0x07, 0x09, 0x18, 0x19].contains(byte) else { return try next().map(Operator.instruction) }
        instructionStart = position
        position += 1
        opcode = Opcode(prefix: nil, code: UInt32(byte))
        switch byte {
        case 0x06: return .legacy(.try(blockType: try blockType()))
        case 0x07: return .legacy(.catch(tagIndex: try u32("tag index")))
        case 0x09: return .legacy(.rethrow(relativeDepth: try u32("label index")))
        case 0x18: return .legacy(.delegate(relativeDepth: try u32("label index")))
        default: return .legacy(.catchAll)
        }
    }

    /// Decodes the next instruction, or returns `nil` when every byte of the body is decoded. A
    /// legacy exception instruction, which `Instruction` cannot hold, is refused as unsupported:
    /// code that compiles them reads `nextOperator()`.
    public mutating func next() throws(ModuleError) -> Instruction? {
        guard position < bytes.endIndex else { return nil }
        instructionStart = position
        let byte = bytes[position]
        position += 1
        opcode = Opcode(prefix: nil, code: UInt32(byte))
        switch byte {
        // Control instructions
        case 0x00: return .unreachable
        case 0x01: return .nop
        case 0x02: return .block(blockType: try blockType())
        case 0x03: return .loop(blockType: try blockType())
        case 0x04: return .if(blockType: try blockType())
        case 0x05: return .else
        case 0x0B: return .end
        case 0x0C: return .br(relativeDepth: try u32("label index"))
        case 0x0D: return .brIf(relativeDepth: try u32("label index"))
        case 0x0E: return .brTable(targets: try brTable())
        case 0x0F: return .return
        case 0x10: return .call(functionIndex: try u32("function index"))
        case 0x11:
            let typeIndex = try u32("type index")
            return .callIndirect(typeIndex: typeIndex, tableIndex: try u32("table index"))
        // Tail calls (3.0); the validator refuses them under `--wasm 2.0`.
        case 0x12: return .returnCall(functionIndex: try u32("function index"))
        case 0x13:
            let typeIndex = try u32("type index")
            return .returnCallIndirect(typeIndex: typeIndex, tableIndex: try u32("table index"))
        // Typed function references (3.0); the validator refuses them under `--wasm 2.0`.
        case 0x14: return .callRef(typeIndex: try u32("type index"))
        case 0x15: return .returnCallRef(typeIndex: try u32("type index"))
        case 0xD4: return .refAsNonNull
        case 0xD5: return .brOnNull(relativeDepth: try u32("label index"))
        case 0xD6: return .brOnNonNull(relativeDepth: try u32("label index"))
        // Exception handling (3.0); the validator refuses them under `--wasm 2.0`.
        case 0x08: return .throw(tagIndex: try u32("tag index"))
        case 0x0A: return .throwRef
        case 0x1F:
            let blockType = try blockType()
            return .tryTable(blockType: blockType, tryCatch: TryCatch(catches: try catchClauses()))
        // Reference instructions
        case 0xD0: return .refNull(type: try heapType())
        case 0xD1: return .refIsNull
        case 0xD2: return .refFunc(functionIndex: try u32("function index"))
        // Parametric instructions
        case 0x1A: return .drop
        case 0x1B: return .select
        case 0x1C: return .typedSelect(type: try selectType())
        // Variable instructions
        case 0x20: return .localGet(localIndex: try u32("local index"))
        case 0x21: return .localSet(localIndex: try u32("local index"))
        case 0x22: return .localTee(localIndex: try u32("local index"))
        case 0x23: return .globalGet(globalIndex: try u32("global index"))
        case 0x24: return .globalSet(globalIndex: try u32("global index"))
        // Table instructions (the others are under 0xFC)
        case 0x25: return .tableGet(table: try u32("table index"))
        case 0x26: return .tableSet(table: try u32("table index"))
        // Memory instructions
        case 0x28...0x35: return .load(Self.loads[Int(byte - 0x28)], memarg: try memarg())
        case 0x36...0x3E: return .store(Self.stores[Int(byte - 0x36)], memarg: try memarg())
        case 0x3F: return .memorySize(memory: try memoryIndex())
        case 0x40: return .memoryGrow(memory: try memoryIndex())
        // Numeric instructions
        case 0x41: return .i32Const(value: Int32(truncatingIfNeeded: try signed(bits: 32, "i32 constant")))
        case 0x42: return .i64Const(value: try signed(bits: 64, "i64 constant"))
        case 0x43: return .f32Const(value: IEEE754.Float32(bitPattern: UInt32(truncatingIfNeeded: try littleEndian(4, "f32 constant"))))
        case 0x44: return .f64Const(value: IEEE754.Float64(bitPattern: try littleEndian(8, "f64 constant")))
        case 0x45...0xC4: return Self.numericInstruction(byte)
        // Prefixed instructions
        case 0xFC: return try miscellaneousInstruction()
        case 0xFD: return try vectorInstruction()
        default: throw illegalOpcode()
        }
    }

    /// The instructions after the `0xFC` prefix: saturating truncations, bulk memory and tables.
    mutating func miscellaneousInstruction() throws(ModuleError) -> Instruction {
        opcode = Opcode(prefix: 0xFC, code: try u32("sub-opcode"))
        switch opcode.code {
        case 0x00: return .conversion(.i32TruncSatF32S)
        case 0x01: return .conversion(.i32TruncSatF32U)
        case 0x02: return .conversion(.i32TruncSatF64S)
        case 0x03: return .conversion(.i32TruncSatF64U)
        case 0x04: return .conversion(.i64TruncSatF32S)
        case 0x05: return .conversion(.i64TruncSatF32U)
        case 0x06: return .conversion(.i64TruncSatF64S)
        case 0x07: return .conversion(.i64TruncSatF64U)
        case 0x08:
            let dataIndex = try u32("data index")
            return .memoryInit(dataIndex: dataIndex, memory: try memoryIndex())
        case 0x09: return .dataDrop(dataIndex: try u32("data index"))
        case 0x0A:
            let destination = try memoryIndex()
            return .memoryCopy(dstMem: destination, srcMem: try memoryIndex())
        case 0x0B: return .memoryFill(memory: try memoryIndex())
        case 0x0C:
            // `table.init x y` is encoded with the segment `y` first.
            let elementIndex = try u32("element index")
            return .tableInit(elemIndex: elementIndex, table: try u32("table index"))
        case 0x0D: return .elemDrop(elemIndex: try u32("element index"))
        case 0x0E:
            let destination = try u32("table index")
            return .tableCopy(dstTable: destination, srcTable: try u32("table index"))
        case 0x0F: return .tableGrow(table: try u32("table index"))
        case 0x10: return .tableSize(table: try u32("table index"))
        case 0x11: return .tableFill(table: try u32("table index"))
        default: throw illegalOpcode()
        }
    }

    /// `i32.load` ... `i64.load32_u`, by opcode from 0x28.
    static let loads: [Instruction.Load] = [
        .i32Load, .i64Load, .f32Load, .f64Load, .i32Load8S, .i32Load8U, .i32Load16S, .i32Load16U,
        .i64Load8S, .i64Load8U, .i64Load16S, .i64Load16U, .i64Load32S, .i64Load32U,
    ]

    /// `i32.store` ... `i64.store32`, by opcode from 0x36.
    static let stores: [Instruction.Store] = [
        .i32Store, .i64Store, .f32Store, .f64Store, .i32Store8, .i32Store16, .i64Store8, .i64Store16, .i64Store32,
    ]
}

extension InstructionDecoder {
    /// An opcode as the spec numbers it: a byte, or a prefix byte and a u32 sub-opcode.
    struct Opcode: CustomStringConvertible {
        var prefix: UInt8?
        var code: UInt32

        var description: String {
            guard let prefix else { return InstructionDecoder.hex(code) }
            return "\(InstructionDecoder.hex(prefix)) \(InstructionDecoder.hex(code))"
        }

        /// The proposal an opcode outside WebAssembly 2.0 belongs to, when it is a known one.
        var laterProposal: Proposal? {
            switch (prefix, code) {
            case (nil, 0x06...0x0A), (nil, 0x18...0x19), (nil, 0x1F): .exceptionHandling
            case (nil, 0x14...0x15), (nil, 0xD4...0xD6): .typedFunctionReferences
            case (nil, 0xD3), (nil, 0xFB): .gc
            case (nil, 0xFE): .threads
            case (0xFD, 0x100...0x113): .relaxedSIMD
            default: nil
            }
        }
    }

    // MARK: Errors

    /// `value` in hexadecimal as the messages show bytes and opcodes: `0x0b`, `0x100`.
    static func hex(_ value: some BinaryInteger) -> String {
        let digits = String(value, radix: 16)
        return (digits.count < 2 ? "0x0" : "0x") + digits
    }

    /// The opcode being decoded is not one wasmc decodes: an instruction of a proposal it does
    /// not implement (unsupported), or of none (malformed).
    func illegalOpcode() -> ModuleError {
        if let proposal = opcode.laterProposal {
            return .unsupported(proposal, "opcode \(opcode)", offset: instructionStart)
        }
        return ModuleError(.malformed, "illegal opcode \(opcode)", offset: instructionStart)
    }

    /// A malformed immediate (`what`) of the instruction being decoded, at byte `offset`.
    func malformed(_ problem: String, _ what: StaticString, at offset: Int) -> ModuleError {
        ModuleError(.malformed, "\(problem) in the \(what) of opcode \(opcode)", offset: offset)
    }
}

/// What `InstructionDecoder.nextOperator()` decodes: an instruction, or one of the legacy
/// exception instructions (try, catch, catch_all, rethrow, delegate), which toolchains still emit
/// and which the 3.0 spec keeps in an appendix.
///
/// > Note: <https://webassembly.github.io/spec/core/appendix/legacy.html>
public enum Operator: Equatable, Sendable {
    case instruction(Instruction)
    case legacy(LegacyExceptionInstruction)
}

/// The legacy exception instructions.
public enum LegacyExceptionInstruction: Equatable, Sendable {
    /// `try bt`: a block whose exceptions go to the `catch`/`catch_all` clauses that follow it
    /// (or, ended by `delegate`, to an enclosing handler).
    case `try`(blockType: BlockType)
    /// Starts a handler for exceptions of a tag, entered with the payload on the stack.
    case `catch`(tagIndex: UInt32)
    /// Starts a handler for every exception.
    case catchAll
    /// Throws again the exception caught by the handler `relativeDepth` labels out.
    case rethrow(relativeDepth: UInt32)
    /// Ends a `try` whose exceptions go to the handlers of the label `relativeDepth` out.
    case delegate(relativeDepth: UInt32)
}
