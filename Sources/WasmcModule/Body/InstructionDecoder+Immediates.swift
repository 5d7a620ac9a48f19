import WasmParser
import WasmTypes

// The immediates of instructions (integers, types, memargs, raw bytes), read as the binary format
// of WebAssembly 2.0 defines them. Each reader takes what the immediate is, for error messages.
//
// > Note: <https://webassembly.github.io/spec/core/binary/values.html>

extension InstructionDecoder {
    // MARK: Bytes

    mutating func byte(_ what: StaticString) throws(ModuleError) -> UInt8 {
        guard position < bytes.endIndex else {
            throw malformed("unexpected end of section or function", what, at: position)
        }
        defer { position += 1 }
        return bytes[position]
    }

    /// `count` bytes (at most 8) as a little-endian integer: the bits of `f32.const` and `f64.const`.
    mutating func littleEndian(_ count: Int, _ what: StaticString) throws(ModuleError) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<count {
            value |= UInt64(try byte(what)) << (8 * index)
        }
        return value
    }

    /// The 16 bytes of `v128.const`'s value or `i8x16.shuffle`'s lane indices.
    mutating func sixteenBytes(_ what: StaticString) throws(ModuleError) -> [UInt8] {
        guard bytes.endIndex - position >= 16 else {
            throw malformed("unexpected end of section or function", what, at: bytes.endIndex)
        }
        defer { position += 16 }
        return Array(bytes[position..<position + 16])
    }

    // MARK: Integers

    /// A u32: an index, a count, a sub-opcode or a memarg field.
    mutating func u32(_ what: StaticString) throws(ModuleError) -> UInt32 {
        UInt32(truncatingIfNeeded: try leb128(bits: 32, signed: false, what))
    }

    /// An sN (N = 32, 33 or 64), sign-extended to 64 bits.
    mutating func signed(bits: Int, _ what: StaticString) throws(ModuleError) -> Int64 {
        Int64(bitPattern: try leb128(bits: bits, signed: true, what))
    }

    /// An LEB128 integer of `bits` bits (two's complement when `signed`), sign-extended to 64 bits.
    ///
    /// The spec allows at most ⌈bits/7⌉ bytes, so an encoding may carry redundant zero (or sign)
    /// groups; in its last allowed byte, the bits beyond the integer's width must be zero
    /// (unsigned) or copies of the sign bit (signed). The checks and their order follow the
    /// reference interpreter's `vuN`/`vsN`: unused bits first ("integer too large", at that byte),
    /// then a continuation past the limit ("integer representation too long", at the next byte).
    ///
    /// > Note: <https://webassembly.github.io/spec/core/binary/values.html#integers>
    mutating func leb128(bits: Int, signed: Bool, _ what: StaticString) throws(ModuleError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        // Bits of the integer not read yet.
        var remaining = bits
        while true {
            guard remaining > 0 else { throw malformed("integer representation too long", what, at: position) }
            let byteOffset = position
            let byte = try byte(what)
            let payload = byte & 0x7F
            if remaining < 7 {
                // For a signed integer the sign bit joins the unused ones: they must all be equal.
                let unused: UInt8 = (0x7F << (signed ? remaining - 1 : remaining)) & 0x7F
                guard payload & unused == 0 || (signed && payload & unused == unused) else {
                    throw malformed("integer too large", what, at: byteOffset)
                }
            }
            result |= UInt64(payload) << shift
            shift += 7
            remaining -= 7
            if byte & 0x80 == 0 {
                if signed, payload & 0x40 != 0, shift < 64 { result |= ~0 << shift }
                return result
            }
        }
    }

    // MARK: Types

    /// A value type: a number type, `v128`, or a reference type, either one of the one-byte
    /// shorthands (`funcref`, `externref`, `exnref`, the bottom types, GC's) or `0x63`/`0x64`
    /// (`ref null ht`/`ref ht`) and a heap type.
    ///
    /// > Note: <https://webassembly.github.io/spec/core/binary/types.html#value-types>
    mutating func valueType(_ what: StaticString) throws(ModuleError) -> ValueType {
        let byteOffset = position
        switch try byte(what) {
        case 0x7F: return .i32
        case 0x7E: return .i64
        case 0x7D: return .f32
        case 0x7C: return .f64
        case 0x7B: return .v128
        case 0x63: return .ref(ReferenceType(isNullable: true, heapType: try heapType()))
        case 0x64: return .ref(ReferenceType(isNullable: false, heapType: try heapType()))
        case let other:
            guard let heapType = Self.abstractHeapType(other) else {
                throw malformed("malformed value type \(Self.hex(other))", what, at: byteOffset)
            }
            return .ref(ReferenceType(isNullable: true, heapType: .abstract(heapType)))
        }
    }

    /// A heap type (`ref.null`'s immediate, and after `0x63`/`0x64`): an abstract heap type of one
    /// byte, or a type index as a non-negative s33.
    ///
    /// > Note: <https://webassembly.github.io/spec/core/binary/types.html#heap-types>
    mutating func heapType() throws(ModuleError) -> HeapType {
        guard position < bytes.endIndex else {
            throw malformed("unexpected end of section or function", "heap type", at: position)
        }
        let first = bytes[position]
        if first & 0xC0 == 0x40 {
            position += 1
            guard let heapType = Self.abstractHeapType(first) else {
                throw malformed("malformed heap type \(Self.hex(first))", "heap type", at: position - 1)
            }
            return .abstract(heapType)
        }
        let indexOffset = position
        let index = try signed(bits: 33, "heap type")
        guard let typeIndex = UInt32(exactly: index) else {
            throw malformed("malformed heap type \(index)", "heap type", at: indexOffset)
        }
        return .concrete(typeIndex: typeIndex)
    }

    /// The abstract heap types by their one-byte encoding (also the nullable reference types'
    /// shorthand value types).
    static func abstractHeapType(_ byte: UInt8) -> AbstractHeapType? {
        switch byte {
        case 0x70: .funcRef
        case 0x6F: .externRef
        case 0x69: .exnRef
        case 0x73: .noFunc
        case 0x72: .noExtern
        case 0x74: .noExn
        case 0x6E: .any
        case 0x6D: .eq
        case 0x6C: .i31
        case 0x6B: .structRef
        case 0x6A: .arrayRef
        case 0x71: .noneRef
        default: nil
        }
    }

    /// A block type: `0x40` (no type), a value type, or a type index as a non-negative s33. The
    /// one-byte negative s33 values, `0x40...0x7F`, are the type bytes; any of them but a value
    /// type's is malformed, as is a longer negative s33.
    ///
    /// > Note: <https://webassembly.github.io/spec/core/binary/instructions.html#control-instructions>
    mutating func blockType() throws(ModuleError) -> BlockType {
        guard position < bytes.endIndex else {
            throw malformed("unexpected end of section or function", "block type", at: position)
        }
        let first = bytes[position]
        if first == 0x40 {
            position += 1
            return .empty
        }
        if first & 0xC0 == 0x40 {
            return .type(try valueType("block type"))
        }
        let indexOffset = position
        let index = try signed(bits: 33, "block type")
        guard let typeIndex = UInt32(exactly: index) else {
            throw malformed("malformed block type \(index)", "block type", at: indexOffset)
        }
        return .funcType(typeIndex)
    }

    /// The type vector of a typed `select`. The binary format allows any number of types; a count
    /// other than one is a validation error, "invalid result arity", thrown once the types are
    /// read (a malformed type comes first).
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/instructions.html#parametric-instructions>
    mutating func selectType() throws(ModuleError) -> ValueType {
        let count = try u32("type count")
        var type: ValueType?
        for _ in 0..<count {
            let next = try valueType("result type")
            if type == nil { type = next }
        }
        guard count == 1, let type else {
            throw ModuleError(.invalid, "invalid result arity: select with \(count) types, expected 1", offset: instructionStart)
        }
        return type
    }

    // MARK: Composite immediates

    /// A try_table's catch clauses: a count, then per clause a kind byte (0 catch, 1 catch_ref,
    /// 2 catch_all, 3 catch_all_ref), the tag index for the first two, and the label.
    mutating func catchClauses() throws(ModuleError) -> [CatchClause] {
        let count = try u32("catch clause count")
        var clauses: [CatchClause] = []
        for _ in 0..<count {
            let kindOffset = position
            switch try byte("catch clause") {
            case 0x00:
                let tag = try u32("tag index")
                clauses.append(.catch(tagIndex: tag, labelIndex: try u32("label index")))
            case 0x01:
                let tag = try u32("tag index")
                clauses.append(.catchRef(tagIndex: tag, labelIndex: try u32("label index")))
            case 0x02: clauses.append(.catchAll(labelIndex: try u32("label index")))
            case 0x03: clauses.append(.catchAllRef(labelIndex: try u32("label index")))
            case let other: throw malformed("malformed catch clause \(Self.hex(other))", "catch clause", at: kindOffset)
            }
        }
        return clauses
    }

    /// `br_table`'s labels, then its default label.
    mutating func brTable() throws(ModuleError) -> BrTable {
        let count = try u32("label count")
        var labels: [UInt32] = []
        // Each label takes a byte at least: a count beyond the bytes left fails while reading.
        labels.reserveCapacity(min(Int(count), bytes.endIndex - position))
        for _ in 0..<count {
            labels.append(try u32("label index"))
        }
        return BrTable(labelIndices: labels, defaultIndex: try u32("label index"))
    }

    /// A memarg: the alignment exponent, then the offset, both u32. The exponent is kept as it
    /// is (`MemArg.align`); the validator checks it against the access size. With multi-memory,
    /// flags 64...127 say a memory index follows them, and the exponent is the flags less 64.
    ///
    /// > Note: <https://webassembly.github.io/spec/core/binary/instructions.html#memory-instructions>
    mutating func memarg() throws(ModuleError) -> MemArg {
        let flags = try u32("memarg alignment")
        if memoryIndices, flags & 0x40 != 0, flags < 0x80 {
            let memory = try u32("memory index")
            return MemArg(offset: try memargOffset(), align: flags & 0x3F, memory: memory)
        }
        return MemArg(offset: try memargOffset(), align: flags)
    }

    /// A memarg's offset: a u64 with memory64, else a u32.
    mutating func memargOffset() throws(ModuleError) -> UInt64 {
        try leb128(bits: wideOffsets ? 64 : 32, signed: false, "memarg offset")
    }

    /// The memory an instruction without memarg names: a u32 with multi-memory, else 2.0's
    /// reserved zero byte.
    mutating func memoryIndex() throws(ModuleError) -> UInt32 {
        memoryIndices ? try u32("memory index") : try reservedZero()
    }

    /// The byte `0x00` that WebAssembly 2.0 has where multi-memory puts a memory index: a single
    /// byte, not an LEB128, so `80 00` is malformed too. The index is 0.
    mutating func reservedZero() throws(ModuleError) -> UInt32 {
        let byteOffset = position
        let byte = try byte("memory index")
        guard byte == 0x00 else { throw malformed("zero byte expected", "memory index", at: byteOffset) }
        return 0
    }
}
