import Foundation
import WasmParser
import WasmTypes

/// A module that could not be decoded or did not validate, with where it went wrong.
public struct ModuleError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The bytes are not a well-formed binary module.
        case malformed
        /// The module is well-formed but breaks a validation rule.
        case invalid
        /// The module uses a proposal wasmc does not compile (`proposal` says which).
        case unsupported
        /// The module could not be read (from a file or a pipe).
        case unreadable
    }

    public var kind: Kind
    public var message: String
    /// Byte offset in the binary, when known.
    public var offset: Int?
    /// Function index (in the function index space), when the error is inside a function body.
    public var functionIndex: Int?
    /// For `.unsupported`: the proposal the module needs.
    public var proposal: Proposal?

    public init(_ kind: Kind, _ message: String, offset: Int? = nil, functionIndex: Int? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
        self.functionIndex = functionIndex
    }

    /// The module needs `proposal`, which wasmc does not compile (or the options leave out);
    /// `what` names the construct that needs it ("tag section", "return_call").
    public static func unsupported(_ proposal: Proposal, _ what: String, offset: Int? = nil) -> ModuleError {
        var error = ModuleError(.unsupported, what, offset: offset)
        error.proposal = proposal
        return error
    }

    public var description: String {
        var text: String
        switch kind {
        case .malformed: text = "malformed module: " + message
        case .invalid: text = "invalid module: " + message
        case .unsupported: text = "unsupported: \(proposal?.rawValue ?? "a later proposal") (\(message))"
        case .unreadable: text = message
        }
        if let functionIndex { text += " in function \(functionIndex)" }
        if let offset { text += " at offset 0x\(String(offset, radix: 16))" }
        return text
    }
}

/// Decodes a binary module into a `ModuleInfo`, all of it (`ModuleDecoder` decodes one as it
/// arrives).
public func decodeModule(_ bytes: [UInt8]) throws(ModuleError) -> ModuleInfo {
    var decoder = ModuleDecoder(ModuleInput(bytes: bytes))
    var module = try decoder.decodeCode()
    try decoder.decodeRest(of: &module)
    return module
}

/// Where a data segment's bytes go as the decoder reads them (`ModuleDecoder.decodeRest`).
public protocol DataSink: AnyObject {
    /// The data section holds `count` segments: called once, before the first.
    func begin(count: Int)
    /// Segment `index` begins; its bytes follow through `add`, piece by piece.
    func segment(_ index: Int, _ segment: ModuleInfo.DataSegment)
    func add(_ bytes: UnsafeRawBufferPointer)
    /// The data section has ended (called only if there was one).
    func end()
}

/// Decodes a binary module from its `ModuleInput` in two steps, so that code can be compiled
/// while the data segments, which come last in a module and may be most of it, are still
/// arriving: `decodeCode` reads up to the data section, `decodeRest` the data section (its
/// bytes passed to a `DataSink`, not kept) and the custom sections after it.
///
/// Only well-formedness is checked here (what the binary format itself requires); validation is
/// `WasmcValidation`'s job. Function bodies stay as byte ranges, decoded later per function.
/// What a proposal wasmc does not implement adds to the binary format (a tag section, a type
/// of the GC proposal) is refused as `.unsupported` where it first shows.
public struct ModuleDecoder {
    public let input: ModuleInput
    /// Whether `decodeCode` stopped at a data section.
    private var atDataSection = false

    public init(_ input: ModuleInput) {
        self.input = input
    }

    /// Reads and decodes every section before the data section: a module without its data
    /// segments, which `decodeRest` adds. The cross-section rules of the code hold already.
    public mutating func decodeCode() throws(ModuleError) -> ModuleInfo {
        input.keeping = true
        try readToDataSection()
        let (info, sawCode) = try Self.decodeSections(input.taken)
        input.keeping = false
        // Binary-format rules that span sections (spec 5.5.16).
        if info.declaredFunctionCount != info.codes.count && (sawCode || info.declaredFunctionCount > 0) {
            throw ModuleError(
                .malformed, "function and code section have inconsistent lengths",
                offset: info.sectionOffsets.code == 0 ? input.offset : info.sectionOffsets.code)
        }
        return info
    }

    /// After `decodeCode`: how many segments the data section holds, read ahead without taking
    /// anything (0 without a data section, or one too malformed to tell, which `decodeRest`
    /// then reports).
    public func peekDataCount() throws(ModuleError) -> Int {
        guard atDataSection else { return 0 }
        let bytes = try input.peek(11)
        guard let (_, sizeWidth) = Self.leb(bytes.dropFirst()), let (count, _) = Self.leb(bytes.dropFirst(1 + sizeWidth)) else { return 0 }
        return Int(count)
    }

    /// Reads the rest of the module after `decodeCode`: the data section, whose segments'
    /// bytes go to `sink` as they arrive, and the custom sections after it.
    public mutating func decodeRest(of info: inout ModuleInfo, into sink: DataSink? = nil) throws(ModuleError) {
        if atDataSection { try decodeData(&info, sink) }
        while try !input.atEnd() {
            let start = input.offset
            let id = try byte()
            let size = Int(try u32("section size"))
            let end = input.offset + size
            guard id == 0 else {
                // Only custom sections may follow the data section (and the data count section
                // never comes after the code).
                let known = id <= 13
                throw ModuleError(.malformed, known ? "section out of order" : "malformed section ID \(id)", offset: start)
            }
            let nameLength = Int(try u32("custom section name length"))
            guard input.offset + nameLength <= end else { throw ModuleError(.malformed, "unexpected end", offset: input.offset) }
            let name = try bytes(nameLength)
            guard let text = String(validating: name, as: UTF8.self) else {
                throw ModuleError(.malformed, "malformed UTF-8 encoding", offset: end - size)
            }
            if text == "name" {
                Self.readNames(try bytes(end - input.offset), into: &info)
            } else {
                let count = end - input.offset
                guard try input.pass(count, to: { _ in }) == count else {
                    throw ModuleError(.malformed, "unexpected end", offset: input.offset)
                }
            }
        }
        if let dataCount = info.dataCount, Int(dataCount) != info.data.count {
            throw ModuleError(.malformed, "data count and data section have inconsistent lengths", offset: info.sectionOffsets.data)
        }
    }

    /// Takes the header and the sections before the data section, if there is one (it is then
    /// next). What does not look like a section (a bad header, a size past the end) ends the
    /// split: the rest is taken for WasmKit's parser to report.
    private mutating func readToDataSection() throws(ModuleError) {
        guard let header = try input.take(8), header.elementsEqual([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]) else {
            _ = try input.takeRest()
            return
        }
        while try !input.atEnd() {
            let next = try input.peek(6)
            if next.first == 11 {
                atDataSection = true
                return
            }
            guard let (size, width) = Self.leb(next.dropFirst()), let _ = try input.take(1 + width + Int(size)) else {
                _ = try input.takeRest()
                return
            }
        }
    }

    /// The unsigned LEB128 value at the start of `bytes` (at most 5 bytes) and its width; nil if
    /// there is none.
    private static func leb(_ bytes: ArraySlice<UInt8>) -> (UInt32, Int)? {
        var value: UInt64 = 0
        for (index, byte) in bytes.prefix(5).enumerated() {
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return value <= UInt64(UInt32.max) ? (UInt32(value), index + 1) : nil }
        }
        return nil
    }

    /// The data section, segment by segment: each header decoded, then its bytes passed on.
    private mutating func decodeData(_ info: inout ModuleInfo, _ sink: DataSink?) throws(ModuleError) {
        let start = input.offset
        info.sectionOffsets.data = start
        _ = try byte()
        let size = Int(try u32("section size"))
        let end = input.offset + size
        let count = Int(try u32("data segment count"))
        sink?.begin(count: count)
        info.data.reserveCapacity(min(count, 1 << 16))
        for index in 0..<count {
            let kindOffset = input.offset
            let mode: ModuleInfo.DataSegment.Mode
            switch try u32("data segment kind") {
            case 0: mode = .active(memory: 0, offset: try constantExpression())
            case 1: mode = .passive
            case 2:
                let memory = try u32("memory index")
                mode = .active(memory: memory, offset: try constantExpression())
            case let kind: throw ModuleError(.malformed, "malformed data segment kind \(kind)", offset: kindOffset)
            }
            let length = Int(try u32("data segment length"))
            guard input.offset + length <= end else {
                throw ModuleError(.malformed, "unexpected end of section or function", offset: input.offset)
            }
            let segment = ModuleInfo.DataSegment(mode: mode, length: length)
            sink?.segment(index, segment)
            guard try input.pass(length, to: { sink?.add($0) }) == length else {
                throw ModuleError(.malformed, "unexpected end", offset: input.offset)
            }
            info.data.append(segment)
        }
        sink?.end()
        guard input.offset == end else {
            throw ModuleError(.malformed, "section size mismatch: expected the data section to end at 0x\(String(end, radix: 16))", offset: input.offset)
        }
    }

    /// A constant expression, decoded by WasmKit's instruction decoder (as its own parser
    /// decodes one) from a window of the next bytes, made larger until it holds the `end`.
    private mutating func constantExpression() throws(ModuleError) -> ConstExpression {
        let start = input.offset
        var window = 64
        while true {
            let bytes = try input.peek(window)
            do {
                let (expression, length) = try Self.constantExpression(in: bytes)
                _ = try input.take(length)
                return expression
            } catch {
                // A window that ends early stops at its end: try a larger one, unless the input ends.
                guard bytes.count < window || window >= 1 << 20 else {
                    window *= 4
                    continue
                }
                var located = error
                located.offset = start + (error.offset ?? 0)
                throw located
            }
        }
    }

    /// The constant expression at the start of `bytes` and its length in bytes; errors have
    /// offsets from the start of `bytes`.
    private static func constantExpression(in bytes: ArraySlice<UInt8>) throws(ModuleError) -> (ConstExpression, Int) {
        // A module of one code section of one body with no locals and `bytes` as the body, so
        // that WasmKit's ExpressionParser decodes them.
        var module: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 10]
        let body = uleb(UInt64(bytes.count + 1)) + [0]
        module += uleb(UInt64(1 + body.count + bytes.count)) + [1] + body
        let origin = module.count
        module += bytes
        var parser = Parser(bytes: module, features: WasmFeatures.parserFeatures)
        guard (try? parser.parseNext()) != nil, case .codeSection(let codes)? = try? parser.parseNext(), let code = codes.first else {
            preconditionFailure("a module of one code section decodes")
        }
        var collector = InstructionCollector()
        do {
            var expression = ExpressionParser(code: code)
            while let instruction = try expression.parse() {
                try instruction(visitor: &collector)
                if case .end = collector.instructions.last { return (collector.instructions, expression.offset - origin) }
            }
            throw ModuleError(.malformed, "unexpected end", offset: bytes.count)
        } catch let error as ModuleError {
            throw error
        } catch let error as WasmParserError {
            // ExpressionParser counts offsets from the start of the body's instructions.
            throw ModuleError(parserError: error)
        } catch {
            throw ModuleError(.malformed, String(describing: error), offset: 0)
        }
    }

    private struct InstructionCollector: AnyInstructionVisitor {
        typealias VisitorError = ModuleError
        var binaryOffset = 0
        var instructions: [Instruction] = []
        mutating func visit(_ instruction: Instruction) throws(ModuleError) { instructions.append(instruction) }
    }

    private static func uleb(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            let low = UInt8(value & 0x7F)
            value >>= 7
            bytes.append(value == 0 ? low : low | 0x80)
        } while value != 0
        return bytes
    }

    private func byte() throws(ModuleError) -> UInt8 {
        guard let taken = try input.take(1) else { throw ModuleError(.malformed, "unexpected end", offset: input.offset) }
        return taken.first!
    }

    private func bytes(_ count: Int) throws(ModuleError) -> ArraySlice<UInt8> {
        guard let taken = try input.take(count) else { throw ModuleError(.malformed, "unexpected end", offset: input.offset) }
        return taken
    }

    /// An unsigned LEB128 u32, taken from the input (read by `leb`, the one decoder of the
    /// section-level numbers).
    private func u32(_ what: String) throws(ModuleError) -> UInt32 {
        let start = input.offset
        let ahead = try input.peek(5)
        if let (value, width) = Self.leb(ahead) {
            _ = try input.take(width)
            return value
        }
        // None: the input ends inside it, or five bytes do not end it, or its value needs more
        // than 32 bits.
        if ahead.count < 5 { throw ModuleError(.malformed, "unexpected end", offset: start + ahead.count) }
        if ahead.last! & 0x80 != 0 { throw ModuleError(.malformed, "integer representation too long (\(what))", offset: start) }
        throw ModuleError(.malformed, "integer too large (\(what))", offset: start)
    }

    private static func readNames(_ bytes: ArraySlice<UInt8>, into info: inout ModuleInfo) {
        // The name section is advisory: a broken one is ignored, as the spec allows.
        var names = NameSectionParser(stream: StaticByteStreamSource(bytes: bytes))
        if let parsed = try? names.parseAll() {
            for case .functions(let map) in parsed { info.functionNames = map }
        }
    }

    /// WasmKit's parser over the sections before the data section.
    private static func decodeSections(_ bytes: ArraySlice<UInt8>) throws(ModuleError) -> (ModuleInfo, sawCode: Bool) {
        var info = ModuleInfo()
        var sawCode = false
        var parser = Parser(bytes: bytes, features: WasmFeatures.parserFeatures)
        do {
            while true {
                let sectionStart = parser.offset
                guard let payload = try parser.parseNext() else { break }
                switch payload {
                case .header:
                    break
                case .customSection(let section):
                    if section.name == "name" { readNames(section.bytes, into: &info) }
                case .typeSection(let groups):
                    for group in groups {
                        // A lone final function type without supertypes is 2.0's function type; rec
                        // groups, subtyping, structs and arrays are GC's.
                        if group.types.count != 1 {
                            throw ModuleError.unsupported(.gc, "recursive type group", offset: sectionStart)
                        }
                        for subtype in group.types {
                            guard case .function(let type) = subtype.body else {
                                throw ModuleError.unsupported(.gc, "struct or array type", offset: sectionStart)
                            }
                            guard subtype.isFinal, subtype.supertypes.isEmpty else {
                                throw ModuleError.unsupported(.gc, "subtype declaration", offset: sectionStart)
                            }
                            info.types.append(type)
                        }
                    }
                case .importSection(let imports):
                    info.sectionOffsets.imports = sectionStart
                    for entry in imports { info.addImport(entry) }
                case .functionSection(let typeIndices):
                    info.sectionOffsets.functions = sectionStart
                    info.functionTypes.append(contentsOf: typeIndices)
                    info.declaredFunctionCount = typeIndices.count
                case .tableSection(let tables):
                    info.sectionOffsets.tables = sectionStart
                    info.tables.append(contentsOf: tables.map(\.type))
                    info.tableInitializers.append(contentsOf: tables.map(\.initializer))
                case .memorySection(let memories):
                    info.sectionOffsets.memories = sectionStart
                    info.memories.append(contentsOf: memories.map(\.type))
                case .globalSection(let globals):
                    info.sectionOffsets.globals = sectionStart
                    for global in globals {
                        info.globals.append(global.type)
                        info.globalInitializers.append(global.initializer)
                    }
                case .exportSection(let exports):
                    info.sectionOffsets.exports = sectionStart
                    info.exports = exports
                case .startSection(let index):
                    info.sectionOffsets.start = sectionStart
                    info.start = index
                case .elementSection(let segments):
                    info.sectionOffsets.elements = sectionStart
                    info.elements = segments
                case .codeSection(let codes):
                    info.sectionOffsets.code = sectionStart
                    sawCode = true
                    info.codes = codes
                case .dataSection:
                    // readToDataSection stops before one; only input it could not split gets here.
                    throw ModuleError(.malformed, "unexpected data section", offset: sectionStart)
                case .dataCount(let count):
                    info.sectionOffsets.dataCount = sectionStart
                    info.dataCount = count
                case .tagSection(let tags):
                    info.sectionOffsets.tags = sectionStart
                    info.tags.append(contentsOf: tags.map(\.type))
                }
            }
        } catch let error as ModuleError {
            throw error
        } catch let error as WasmParserError {
            throw ModuleError(parserError: error)
        } catch {
            throw ModuleError(.malformed, String(describing: error))
        }
        return (info, sawCode)
    }
}

extension ModuleError {
    /// Rewords WasmParser's error text ("\"Message(text: ...)\" at offset 0x4") as one clean
    /// message with the offset kept apart, so every error prints the same way.
    public init(parserError: WasmParserError) {
        var text = parserError.description
        var offset: Int?
        if let range = text.range(of: " at offset 0x", options: .backwards) {
            let digits = text[range.upperBound...].prefix { $0.isHexDigit }
            offset = Int(digits, radix: 16)
            text.removeSubrange(range.lowerBound..<text.index(range.upperBound, offsetBy: digits.count))
        }
        if text.hasPrefix("\"Message(text: \""), text.hasSuffix(")\"") {
            text = String(text.dropFirst("\"Message(text: \"".count).dropLast(")\"".count + 1))
        }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: " ."))
        self.init(.malformed, text.prefix(1).lowercased() + text.dropFirst(), offset: offset)
    }
}
