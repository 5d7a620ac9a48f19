import Testing
import WAT
import WasmParser
import WasmcModule
import WasmcValidation

/// The WebAssembly 2.0 features the text parser needs for the test modules.
let testFeatures: WasmFeatureSet = [.referenceTypes, .simd]

/// Encodes a text module, decodes it and validates it.
func validate(_ wat: String, features: WasmFeatures = .default) throws {
    let bytes = try wat2wasm(wat, features: testFeatures)
    try validateModule(try decodeModule(bytes), features: features)
}

/// Decodes and validates a binary module.
func validate(bytes: [UInt8]) throws(ModuleError) {
    try validateModule(try decodeModule(bytes))
}

/// Expects the text module to be valid.
func expectValid(_ wat: String, features: WasmFeatures = .default, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(throws: Never.self, sourceLocation: sourceLocation) { try validate(wat, features: features) }
}

/// Expects the binary module to be valid.
func expectValid(bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(throws: Never.self, sourceLocation: sourceLocation) { try validate(bytes: bytes) }
}

/// Expects validation of the text module to fail with an error of `kind` whose message starts
/// with `message` (the spec's wording), and returns the error.
@discardableResult
func expectInvalid(
    _ wat: String, _ message: String, kind: ModuleError.Kind = .invalid, features: WasmFeatures = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) -> ModuleError? {
    let bytes: [UInt8]
    do {
        bytes = try wat2wasm(wat, features: testFeatures)
    } catch {
        Issue.record("the text parser rejected the test module: \(error)", sourceLocation: sourceLocation)
        return nil
    }
    return expectInvalid(bytes: bytes, message, kind: kind, features: features, sourceLocation: sourceLocation)
}

/// Expects validation of the binary module to fail like `expectInvalid(_:_:kind:)`.
@discardableResult
func expectInvalid(
    bytes: [UInt8], _ message: String, kind: ModuleError.Kind = .invalid, features: WasmFeatures = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) -> ModuleError? {
    let module: ModuleInfo
    do {
        module = try decodeModule(bytes)
    } catch {
        Issue.record("decoding failed, not validation: \(error)", sourceLocation: sourceLocation)
        return nil
    }
    do {
        try validateModule(module, features: features)
        Issue.record("the module validated; expected \"\(message)\"", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.hasPrefix(message), "expected \"\(message)\", got \"\(error.message)\"", sourceLocation: sourceLocation)
        return error
    }
}

/// Builds binary modules for what the text format cannot say (out-of-range indices, stray
/// `else`, bytes after the final `end`, opcodes of later proposals...).
enum Binary {
    static let header: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]

    /// A section: id, size, contents.
    static func section(_ id: UInt8, _ contents: [UInt8]) -> [UInt8] {
        [id] + leb(UInt32(contents.count)) + contents
    }

    static func leb(_ value: UInt32) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
        return bytes
    }

    /// A vector: count, then the items.
    static func vector(_ items: [[UInt8]]) -> [UInt8] {
        leb(UInt32(items.count)) + items.flatMap { $0 }
    }

    /// A module with the given function types and one function per body (each of type index 0
    /// unless `functionTypes` says otherwise); `before` and `after` hold extra sections placed
    /// before the code section (imports, memories, globals...) and after it (data).
    ///
    /// Each body is the expression bytes including the final `end`; `locals` are declared as
    /// (count, type) groups.
    static func module(
        types: [[UInt8]] = [[0x60, 0x00, 0x00]],
        functionTypes: [UInt32]? = nil,
        imports: [[UInt8]] = [],
        sections before: [[UInt8]] = [],
        bodies: [[UInt8]],
        locals: [[UInt8]] = [],
        after: [[UInt8]] = []
    ) -> [UInt8] {
        var bytes = header
        bytes += section(1, vector(types))
        if !imports.isEmpty { bytes += section(2, vector(imports)) }
        let functionTypes = functionTypes ?? Array(repeating: 0, count: bodies.count)
        bytes += section(3, vector(functionTypes.map(leb)))
        for extra in before { bytes += extra }
        let codes = bodies.enumerated().map { index, body -> [UInt8] in
            let localGroups = index < locals.count ? locals[index] : [0x00]
            let code = localGroups + body
            return leb(UInt32(code.count)) + code
        }
        bytes += section(10, vector(codes))
        for extra in after { bytes += extra }
        return bytes
    }

    /// A memory section with one memory of `min` pages.
    static func memory(min: UInt8 = 1) -> [UInt8] { section(5, [0x01, 0x00, min]) }
}
