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
        }
        if let functionIndex { text += " in function \(functionIndex)" }
        if let offset { text += " at offset 0x\(String(offset, radix: 16))" }
        return text
    }
}

/// Decodes a binary module into a `ModuleInfo`.
///
/// Only well-formedness is checked here (what the binary format itself requires); validation is
/// `WasmcValidation`'s job. Function bodies stay as byte ranges, decoded later per function.
/// What a proposal wasmc does not implement adds to the binary format (a tag section, a type
/// of the GC proposal) is refused as `.unsupported` where it first shows.
public func decodeModule(_ bytes: [UInt8]) throws(ModuleError) -> ModuleInfo {
    var info = ModuleInfo()
    var parser = Parser(bytes: bytes, features: WasmFeatures.parserFeatures)
    var sawCode = false
    do {
        while true {
            let sectionStart = parser.offset
            guard let payload = try parser.parseNext() else { break }
            switch payload {
            case .header:
                break
            case .customSection(let section):
                if section.name == "name" {
                    // The name section is advisory: a broken one is ignored, as the spec allows.
                    var names = NameSectionParser(stream: StaticByteStreamSource(bytes: section.bytes))
                    if let parsed = try? names.parseAll() {
                        for case .functions(let map) in parsed { info.functionNames = map }
                    }
                }
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
                info.imports = imports
                for entry in imports {
                    switch entry.descriptor {
                    case .function(let typeIndex):
                        info.functionTypes.append(typeIndex)
                        info.importedFunctionCount += 1
                    case .table(let type):
                        info.tables.append(type)
                        info.importedTableCount += 1
                    case .memory(let type):
                        info.memories.append(type)
                        info.importedMemoryCount += 1
                    case .global(let type):
                        info.globals.append(type)
                        info.importedGlobalCount += 1
                    case .tag(let typeIndex):
                        info.tags.append(typeIndex)
                        info.importedTagCount += 1
                    }
                }
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
            case .dataSection(let segments):
                info.sectionOffsets.data = sectionStart
                info.data = segments
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
    // Binary-format rules that span sections (spec 5.5.16).
    if info.declaredFunctionCount != info.codes.count && (sawCode || info.declaredFunctionCount > 0) {
        throw ModuleError(
            .malformed, "function and code section have inconsistent lengths",
            offset: info.sectionOffsets.code == 0 ? bytes.count : info.sectionOffsets.code)
    }
    if let dataCount = info.dataCount, Int(dataCount) != info.data.count {
        throw ModuleError(.malformed, "data count and data section have inconsistent lengths", offset: info.sectionOffsets.data)
    }
    return info
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
