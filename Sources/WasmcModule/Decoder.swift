import Foundation
import WasmParser
import WasmTypes

/// The WebAssembly features wasmc accepts: WebAssembly 2.0 (reference types, bulk memory,
/// multi-value, sign extension, saturating conversions and fixed-width SIMD).
public let wasmcFeatures: WasmFeatureSet = [.referenceTypes, .simd]

/// A module that could not be decoded or did not validate, with where it went wrong.
public struct ModuleError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The bytes are not a well-formed binary module.
        case malformed
        /// The module is well-formed but breaks a validation rule.
        case invalid
    }

    public var kind: Kind
    public var message: String
    /// Byte offset in the binary, when known.
    public var offset: Int?
    /// Function index (in the function index space), when the error is inside a function body.
    public var functionIndex: Int?

    public init(_ kind: Kind, _ message: String, offset: Int? = nil, functionIndex: Int? = nil) {
        self.kind = kind
        self.message = message
        self.offset = offset
        self.functionIndex = functionIndex
    }

    public var description: String {
        var text = kind == .malformed ? "malformed module: " : "invalid module: "
        text += message
        if let functionIndex { text += " in function \(functionIndex)" }
        if let offset { text += " at offset 0x\(String(offset, radix: 16))" }
        return text
    }
}

/// Decodes a binary module into a `ModuleInfo`.
///
/// Only well-formedness is checked here (what the binary format itself requires); validation is
/// `WasmcValidation`'s job. Function bodies stay as byte ranges, decoded later per function.
public func decodeModule(_ bytes: [UInt8]) throws(ModuleError) -> ModuleInfo {
    var info = ModuleInfo()
    var parser = Parser(bytes: bytes, features: wasmcFeatures)
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
                    for subtype in group.types {
                        guard case .function(let type) = subtype.body else {
                            throw ModuleError(.malformed, "non-function type in type section", offset: sectionStart)
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
                    case .tag:
                        throw ModuleError(.malformed, "malformed import kind", offset: sectionStart)
                    }
                }
            case .functionSection(let typeIndices):
                info.sectionOffsets.functions = sectionStart
                info.functionTypes.append(contentsOf: typeIndices)
                info.declaredFunctionCount = typeIndices.count
            case .tableSection(let tables):
                info.sectionOffsets.tables = sectionStart
                info.tables.append(contentsOf: tables.map(\.type))
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
            case .tagSection:
                throw ModuleError(.malformed, "malformed section id 13", offset: sectionStart)
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
