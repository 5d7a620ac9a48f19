// The text of values on `wasmc run`'s command line: arguments of --invoke, and printed results.
import Wasmc

public struct ArgumentError: Error, CustomStringConvertible {
    public var description: String
}

/// Parses and prints values as `wasmc run` writes them (README.md, "The CLI").
///
/// - i32/i64: decimal, signed or unsigned (`-1` and `4294967295` are the same i32), or `0x` hex.
/// - f32/f64: decimal or hex float, `inf`, `-inf`, `nan`, `-nan`, `nan:0xPAYLOAD`, `-0`.
/// - v128: `SHAPE:LANE,LANE,...` with SHAPE one of i8x16, i16x8, i32x4, i64x2, f32x4, f64x2 and
///   one lane per slot, lane 0 first (lowest address in memory), each written like an integer
///   or float above. Results always print as `i32x4:` with signed decimal lanes.
public enum ValueText {
    /// The shapes a v128 argument can be written in: lane kind and count.
    enum Shape: String, CaseIterable {
        case i8x16, i16x8, i32x4, i64x2, f32x4, f64x2

        var laneBytes: Int {
            switch self {
            case .i8x16: return 1
            case .i16x8: return 2
            case .i32x4, .f32x4: return 4
            case .i64x2, .f64x2: return 8
            }
        }
        var lanes: Int { 16 / laneBytes }
    }

    public static func format(_ value: Value) -> String {
        guard case .v128(let v) = value else { return value.description }
        let lanes = stride(from: 0, to: 16, by: 4).map { base in
            Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(v.bytes[base + $1]) << (8 * $1) })
        }
        return "i32x4:" + lanes.map(String.init).joined(separator: ",")
    }

    public static func parse(_ text: String, as kind: ValueKind) throws(ArgumentError) -> Value {
        func bad(_ why: String = "") -> ArgumentError {
            ArgumentError(description: "\"\(text)\" is not a valid \(kind)\(why.isEmpty ? "" : ": \(why)")")
        }
        switch kind {
        case .i32:
            guard let bits = integer(text, bytes: 4) else { throw bad() }
            return .i32(Int32(truncatingIfNeeded: bits))
        case .i64:
            guard let bits = integer(text, bytes: 8) else { throw bad() }
            return .i64(Int64(bitPattern: bits))
        case .f32:
            guard let bits = float(text, double: false) else { throw bad() }
            return .f32(Float(bitPattern: UInt32(bits)))
        case .f64:
            guard let bits = float(text, double: true) else { throw bad() }
            return .f64(Double(bitPattern: bits))
        case .v128:
            let parts = text.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let shape = Shape(rawValue: String(parts[0])) else {
                throw bad("write SHAPE:LANES with SHAPE one of \(Shape.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let lanes = parts[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard lanes.count == shape.lanes else { throw bad("\(shape) takes \(shape.lanes) lanes, got \(lanes.count)") }
            var bytes: [UInt8] = []
            for lane in lanes {
                let bits: UInt64?
                switch shape {
                case .f32x4: bits = float(lane, double: false)
                case .f64x2: bits = float(lane, double: true)
                default: bits = integer(lane, bytes: shape.laneBytes)
                }
                guard let bits else { throw bad("lane \"\(lane)\"") }
                bytes += (0..<shape.laneBytes).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
            }
            return .v128(V128(bytes: bytes))
        case .funcref, .externref, .exnref:
            // Only the null reference can be written down; others come from wasm code.
            guard text == "null" || text == "ref.null" else {
                throw ArgumentError(description: "a \(kind) argument can only be null on the command line, got \"\(text)\"")
            }
            return .zero(kind)
        }
    }

    /// An integer of `bytes` bytes written signed, unsigned or as 0x hex: its bits.
    private static func integer(_ text: String, bytes: Int) -> UInt64? {
        let bits = 8 * bytes
        let negative = text.hasPrefix("-")
        let digits = negative || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        let magnitude =
            digits.lowercased().hasPrefix("0x")
            ? UInt64(digits.dropFirst(2), radix: 16) : UInt64(digits, radix: 10)
        guard let magnitude, !digits.isEmpty else { return nil }
        let unsignedMax = bits == 64 ? UInt64.max : (1 << UInt64(bits)) - 1
        if negative {
            guard magnitude <= 1 << UInt64(bits - 1) else { return nil }
            return (0 &- magnitude) & unsignedMax
        }
        return magnitude <= unsignedMax ? magnitude : nil
    }

    /// A float written as decimal, hex float, inf or nan[:0xPAYLOAD]: its bits (f32 in the low half).
    private static func float(_ text: String, double: Bool) -> UInt64? {
        let negative = text.hasPrefix("-")
        let body = negative || text.hasPrefix("+") ? String(text.dropFirst()) : text
        let sign: UInt64 = negative ? 1 << (double ? 63 : 31) : 0
        if body == "nan" || body.hasPrefix("nan:0x") {
            let payloadBits: UInt64 = double ? 52 : 23
            let payload = body == "nan" ? 1 << (payloadBits - 1) : UInt64(body.dropFirst(6), radix: 16)
            guard let payload, payload != 0, payload < 1 << payloadBits else { return nil }
            let exponent: UInt64 = double ? 0x7ff << 52 : 0xff << 23
            return sign | exponent | payload
        }
        guard !body.hasPrefix("+"), !body.hasPrefix("-"), !body.lowercased().contains("nan") else { return nil }
        if double {
            guard let v = Double(body) else { return nil }
            return sign | v.bitPattern
        }
        guard let v = Float(body) else { return nil }
        return sign | UInt64(v.bitPattern)
    }
}

/// Parses command-line arguments as values of the function's parameter kinds.
public func parseArguments(_ texts: [String], _ kinds: [ValueKind]) throws(ArgumentError) -> [Value] {
    guard texts.count == kinds.count else {
        throw ArgumentError(
            description:
                "the function takes \(kinds.count) arguments (\(kinds.map(\.description).joined(separator: ", "))), got \(texts.count)")
    }
    var values: [Value] = []
    for (text, kind) in zip(texts, kinds) { values.append(try ValueText.parse(text, as: kind)) }
    return values
}
