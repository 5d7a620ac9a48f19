import WasmParser
import WasmTypes
import WasmcModule

// Parametric, variable, memory, table and numeric instructions.

extension FunctionValidator {
    // MARK: Parametric

    /// `select` without a type works on two numbers or two vectors of the same type; with a type
    /// (exactly one, which WasmParser enforces), on any two operands of that type.
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/instructions.html#parametric-instructions>
    mutating func validateSelect(type: ValueType?) throws(ModuleError) {
        if let type {
            let type = try context.operandType(type)
            try pop(.i32)
            try pop(type)
            try pop(type)
            push(type)
            return
        }
        try pop(.i32)
        let first = try pop()
        let second = try pop()
        guard (first.isNumeric && second.isNumeric) || (first.isVector && second.isVector) else {
            throw .typeMismatchSelect(second, first)
        }
        guard first.matches(second) else { throw .typeMismatch(expected: second, got: first) }
        push(first == .unknown ? second : first)
    }

    // MARK: Variables

    func local(_ index: UInt32) throws(ModuleError) -> OperandType {
        guard Int(index) < locals.count else { throw .unknownLocal(index) }
        return locals[Int(index)]
    }

    func global(_ index: UInt32) throws(ModuleError) -> ValidationContext.Global {
        guard Int(index) < context.globals.count else { throw .unknownGlobal(index) }
        return context.globals[Int(index)]
    }

    // MARK: Memory

    /// The address type of memory `index` (i32, or i64 for a 64-bit memory).
    @discardableResult
    func checkMemory(_ index: UInt32) throws(ModuleError) -> OperandType {
        guard Int(index) < context.memoryCount else { throw .unknownMemory(index) }
        return context.memoryAddressTypes[Int(index)]
    }

    /// A memory access needs the memory and an alignment no larger than the access size.
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/instructions.html#memory-instructions>
    ///
    /// An alignment exponent of 32 or more cannot be encoded in the flags of a memarg (the spec
    /// suite's `align.wast` expects "malformed memop flags"), so it is malformed, not invalid.
    /// Returns the memory's address type, the type of the address operand.
    @discardableResult
    func checkMemArg(_ memarg: MemArg, naturalAlignment: Int) throws(ModuleError) -> OperandType {
        guard memarg.align < 32 else { throw .malformedMemopFlags(memarg.align) }
        let addressType = try checkMemory(memarg.memory)
        guard memarg.align <= naturalAlignment else {
            throw .alignmentTooLarge(align: memarg.align, natural: naturalAlignment)
        }
        if addressType == .i32, memarg.offset > UInt64(UInt32.max) { throw .offsetOutOfRange(memarg.offset) }
        return addressType
    }

    mutating func validateLoad(_ load: Instruction.Load, memarg: MemArg) throws(ModuleError) {
        switch load {
        case .i32AtomicLoad, .i64AtomicLoad, .i32AtomicLoad8U, .i32AtomicLoad16U, .i64AtomicLoad8U,
            .i64AtomicLoad16U, .i64AtomicLoad32U:
            throw .unsupportedInstruction("\(load)", .threads)
        case .i32Load, .i64Load, .f32Load, .f64Load, .i32Load8S, .i32Load8U, .i32Load16S, .i32Load16U,
            .i64Load8S, .i64Load8U, .i64Load16S, .i64Load16U, .i64Load32S, .i64Load32U,
            .v128Load, .v128Load8X8S, .v128Load8X8U, .v128Load16X4S, .v128Load16X4U, .v128Load32X2S,
            .v128Load32X2U, .v128Load8Splat, .v128Load16Splat, .v128Load32Splat, .v128Load64Splat,
            .v128Load32Zero, .v128Load64Zero:
            let addressType = try checkMemArg(memarg, naturalAlignment: load.naturalAlignment)
            try pop(addressType)
            push(try context.operandType(load.type))
        }
    }

    mutating func validateStore(_ store: Instruction.Store, memarg: MemArg) throws(ModuleError) {
        switch store {
        case .i32AtomicStore, .i64AtomicStore, .i32AtomicStore8, .i32AtomicStore16, .i64AtomicStore8,
            .i64AtomicStore16, .i64AtomicStore32:
            throw .unsupportedInstruction("\(store)", .threads)
        case .i32Store, .i64Store, .f32Store, .f64Store, .i32Store8, .i32Store16, .i64Store8, .i64Store16,
            .i64Store32, .v128Store:
            let addressType = try checkMemArg(memarg, naturalAlignment: store.naturalAlignment)
            try pop(try context.operandType(store.type))
            try pop(addressType)
        }
    }

    /// `memory.init`, `data.drop`, `memory.copy`, `memory.fill`.
    mutating func validateBulkMemory(_ instruction: Instruction) throws(ModuleError) {
        switch instruction {
        case .memoryInit(let data, let memory):
            try checkDataSegment(data)
            try pop([try checkMemory(memory), .i32, .i32])
        case .dataDrop(let data):
            try checkDataSegment(data)
        case .memoryCopy(let destination, let source):
            let to = try checkMemory(destination)
            let from = try checkMemory(source)
            // The length is an i64 only when both memories are 64-bit.
            try pop([to, from, to == .i64 && from == .i64 ? .i64 : .i32])
        case .memoryFill(let memory):
            let addressType = try checkMemory(memory)
            try pop([addressType, .i32, addressType])
        default:
            preconditionFailure("not a bulk memory instruction: \(instruction)")
        }
    }

    /// A data index needs the data count section (a binary-format rule, checked first) and must
    /// be below its count.
    func checkDataSegment(_ index: UInt32) throws(ModuleError) {
        guard context.hasDataCountSection else { throw .dataCountSectionRequired }
        guard Int(index) < context.dataSegmentCount else { throw .unknownDataSegment(index) }
    }

    // MARK: Tables

    func table(_ index: UInt32) throws(ModuleError) -> OperandType {
        guard Int(index) < context.tables.count else { throw .unknownTable(index) }
        return context.tables[Int(index)]
    }

    /// The address type of table `index` (i32, or i64 for a 64-bit table), which must exist.
    func tableAddress(_ index: UInt32) -> OperandType { context.tableAddressTypes[Int(index)] }

    func elementSegment(_ index: UInt32) throws(ModuleError) -> OperandType {
        guard Int(index) < context.elements.count else { throw .unknownElemSegment(index) }
        return context.elements[Int(index)]
    }

    /// > Note: <https://webassembly.github.io/spec/core/valid/instructions.html#table-instructions>
    mutating func validateTable(_ instruction: Instruction) throws(ModuleError) {
        switch instruction {
        case .tableGet(let index):
            let type = try table(index)
            try pop(tableAddress(index))
            push(type)
        case .tableSet(let index):
            let type = try table(index)
            try pop(type)
            try pop(tableAddress(index))
        case .tableSize(let index):
            _ = try table(index)
            push(tableAddress(index))
        case .tableGrow(let index):
            let type = try table(index)
            try pop(tableAddress(index))
            try pop(type)
            push(tableAddress(index))
        case .tableFill(let index):
            let type = try table(index)
            try pop(tableAddress(index))
            try pop(type)
            try pop(tableAddress(index))
        case .tableCopy(let destination, let source):
            let destinationType = try table(destination)
            let sourceType = try table(source)
            guard sourceType.matches(destinationType) else {
                throw .typeMismatchTableCopy(destination: destinationType, source: sourceType)
            }
            let to = tableAddress(destination), from = tableAddress(source)
            try pop([to, from, to == .i64 && from == .i64 ? .i64 : .i32])
        case .tableInit(let segment, let index):
            let tableType = try table(index)
            let segmentType = try elementSegment(segment)
            guard segmentType.matches(tableType) else {
                throw .typeMismatchTableElements(table: tableType, segment: segmentType)
            }
            try pop([tableAddress(index), .i32, .i32])
        case .elemDrop(let segment):
            _ = try elementSegment(segment)
        default:
            preconditionFailure("not a table instruction: \(instruction)")
        }
    }

    // MARK: Numeric

    /// The operand type of a comparison (the result is always i32).
    static func operandType(of cmp: Instruction.Cmp) -> OperandType {
        switch cmp {
        case .i32Eq, .i32Ne, .i32LtS, .i32LtU, .i32GtS, .i32GtU, .i32LeS, .i32LeU, .i32GeS, .i32GeU: .i32
        case .i64Eq, .i64Ne, .i64LtS, .i64LtU, .i64GtS, .i64GtU, .i64LeS, .i64LeU, .i64GeS, .i64GeU: .i64
        case .f32Eq, .f32Ne, .f32Lt, .f32Gt, .f32Le, .f32Ge: .f32
        case .f64Eq, .f64Ne, .f64Lt, .f64Gt, .f64Le, .f64Ge: .f64
        }
    }

    /// The operand and result type of a unary operator.
    static func operandType(of unary: Instruction.Unary) -> OperandType {
        switch unary {
        case .i32Clz, .i32Ctz, .i32Popcnt, .i32Extend8S, .i32Extend16S: .i32
        case .i64Clz, .i64Ctz, .i64Popcnt, .i64Extend8S, .i64Extend16S, .i64Extend32S: .i64
        case .f32Abs, .f32Neg, .f32Ceil, .f32Floor, .f32Trunc, .f32Nearest, .f32Sqrt: .f32
        case .f64Abs, .f64Neg, .f64Ceil, .f64Floor, .f64Trunc, .f64Nearest, .f64Sqrt: .f64
        }
    }

    /// The operand and result type of a binary operator.
    static func operandType(of binary: Instruction.Binary) -> OperandType {
        switch binary {
        case .i32Add, .i32Sub, .i32Mul, .i32DivS, .i32DivU, .i32RemS, .i32RemU, .i32And, .i32Or, .i32Xor,
            .i32Shl, .i32ShrS, .i32ShrU, .i32Rotl, .i32Rotr:
            .i32
        case .i64Add, .i64Sub, .i64Mul, .i64DivS, .i64DivU, .i64RemS, .i64RemU, .i64And, .i64Or, .i64Xor,
            .i64Shl, .i64ShrS, .i64ShrU, .i64Rotl, .i64Rotr:
            .i64
        case .f32Add, .f32Sub, .f32Mul, .f32Div, .f32Min, .f32Max, .f32Copysign: .f32
        case .f64Add, .f64Sub, .f64Mul, .f64Div, .f64Min, .f64Max, .f64Copysign: .f64
        }
    }

    /// The operand and result types of a conversion.
    static func operandTypes(of conversion: Instruction.Conversion) -> (from: OperandType, to: OperandType) {
        switch conversion {
        case .i32WrapI64: (.i64, .i32)
        case .i32TruncF32S, .i32TruncF32U, .i32TruncSatF32S, .i32TruncSatF32U, .i32ReinterpretF32: (.f32, .i32)
        case .i32TruncF64S, .i32TruncF64U, .i32TruncSatF64S, .i32TruncSatF64U: (.f64, .i32)
        case .i64ExtendI32S, .i64ExtendI32U: (.i32, .i64)
        case .i64TruncF32S, .i64TruncF32U, .i64TruncSatF32S, .i64TruncSatF32U: (.f32, .i64)
        case .i64TruncF64S, .i64TruncF64U, .i64TruncSatF64S, .i64TruncSatF64U, .i64ReinterpretF64: (.f64, .i64)
        case .f32ConvertI32S, .f32ConvertI32U, .f32ReinterpretI32: (.i32, .f32)
        case .f32ConvertI64S, .f32ConvertI64U: (.i64, .f32)
        case .f32DemoteF64: (.f64, .f32)
        case .f64ConvertI32S, .f64ConvertI32U: (.i32, .f64)
        case .f64ConvertI64S, .f64ConvertI64U, .f64ReinterpretI64: (.i64, .f64)
        case .f64PromoteF32: (.f32, .f64)
        }
    }
}
