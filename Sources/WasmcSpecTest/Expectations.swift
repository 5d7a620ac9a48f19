import Wasmc
import WAT

/// An expected result in one form both engines check: the in-process one (`matches`) and the C
/// driver of cross runs (Tests/cross/spec_driver.c, fed by `PlanWriter`).
indirect enum ExpectedValue: CustomStringConvertible {
    /// A number or vector, compared lane by lane: one lane for i32/i64/f32/f64, 16 / laneBytes
    /// lanes for v128.
    case bits(ValueKind, laneBytes: Int, [ExpectedLane])
    /// A null reference (of either reference type, as the scripts' `ref.null` results are
    /// checked without their heap type).
    case null
    /// A non-null funcref.
    case someFunction
    /// A non-null externref; with a value, the one the script passed as `ref.extern N`.
    case extern(UInt32?)
    /// Any of the alternatives.
    case either([ExpectedValue])

    var description: String {
        switch self {
        case .bits(let kind, _, let lanes): return "\(kind)(\(lanes.map(\.description).joined(separator: " ")))"
        case .null: return "ref.null"
        case .someFunction: return "ref.func"
        case .extern(let value): return "ref.extern \(value.map(String.init) ?? "")"
        case .either(let options): return "either(\(options.map(\.description).joined(separator: ", ")))"
        }
    }
}

/// One lane of an expected number or vector.
enum ExpectedLane: CustomStringConvertible {
    /// These bits exactly.
    case exact(UInt64)
    /// The canonical NaN (the quiet bit alone in the payload), of either sign.
    case canonicalNaN
    /// Any NaN with the quiet bit set.
    case arithmeticNaN

    var description: String {
        switch self {
        case .exact(let bits): return "0x" + String(bits, radix: 16)
        case .canonicalNaN: return "nan:canonical"
        case .arithmeticNaN: return "nan:arithmetic"
        }
    }
}

extension ExpectedValue {
    /// The normal form of a script's expectation. `nanLanes` gives the NaN kind of each lane of
    /// the script's float v128 expectations, in order (see `NaNLaneKinds`); it is consumed here.
    init(_ expected: WASTExpectValue, nanLanes: inout [[NaNKind?]]) {
        switch expected {
        case .i32(let v): self = .bits(.i32, laneBytes: 4, [.exact(UInt64(v))])
        case .i64(let v): self = .bits(.i64, laneBytes: 8, [.exact(v)])
        case .f32(let v): self = .bits(.f32, laneBytes: 4, [.exact(UInt64(v))])
        case .f64(let v): self = .bits(.f64, laneBytes: 8, [.exact(v)])
        case .f32CanonicalNaN: self = .bits(.f32, laneBytes: 4, [.canonicalNaN])
        case .f32ArithmeticNaN: self = .bits(.f32, laneBytes: 4, [.arithmeticNaN])
        case .f64CanonicalNaN: self = .bits(.f64, laneBytes: 8, [.canonicalNaN])
        case .f64ArithmeticNaN: self = .bits(.f64, laneBytes: 8, [.arithmeticNaN])
        case .v128(let v): self = .bits(.v128, laneBytes: 8, Self.exactLanes(v.bytes, size: 8))
        case .v128Pattern(let pattern):
            guard let shape = pattern.shape else {
                self = .bits(.v128, laneBytes: 8, Self.exactLanes(pattern.bytes, size: 8))
                return
            }
            let size = shape == .f32x4 ? 4 : 8
            var lanes = Self.exactLanes(pattern.bytes, size: size)
            // One entry per float v128.const of the assertion, NaN lanes or not.
            let kinds = nanLanes.isEmpty ? [] : nanLanes.removeFirst()
            if pattern.nanLaneMask != 0 {
                for lane in lanes.indices where pattern.nanLaneMask & (1 << lane) != 0 {
                    // The kind is always known for a NaN lane; if the script text could not be
                    // read, the weaker (arithmetic) rule applies.
                    lanes[lane] = lane < kinds.count && kinds[lane] == .canonical ? .canonicalNaN : .arithmeticNaN
                }
            }
            self = .bits(.v128, laneBytes: size, lanes)
        case .refNull: self = .null
        case .refFunc: self = .someFunction
        case .refExtern(let value): self = .extern(value)
        case .either(let options): self = .either(options.map { ExpectedValue($0, nanLanes: &nanLanes) })
        case .refI31, .refStruct, .refArray, .refEq, .refHost:
            // Outside WebAssembly 2.0: nothing wasmc returns can match.
            self = .either([])
        }
    }

    static func exactLanes(_ bytes: [UInt8], size: Int) -> [ExpectedLane] {
        stride(from: 0, to: bytes.count, by: size).map { start in
            var bits: UInt64 = 0
            for i in 0..<size { bits |= UInt64(bytes[start + i]) << (8 * UInt64(i)) }
            return .exact(bits)
        }
    }

    static func hasNaNLanes(_ expected: WASTExpectValue) -> Bool {
        switch expected {
        case .v128Pattern(let pattern): return pattern.nanLaneMask != 0
        case .either(let options): return options.contains(where: hasNaNLanes)
        default: return false
        }
    }

    /// Whether `value` is what this expects.
    func matches(_ value: Wasmc.Value) -> Bool {
        switch (self, value) {
        case (.either(let options), _): return options.contains { $0.matches(value) }
        case (.null, .funcref(let f)): return f == nil
        case (.null, .externref(let e)): return e == nil
        case (.null, .exnref(let e)): return e == nil
        case (.someFunction, .funcref(let f)): return f != nil
        case (.extern(let expected), .externref(let e)):
            guard let e else { return false }
            return expected.map { WastRunner.externReference($0) == e } ?? true
        case (.bits(let kind, let size, let lanes), _):
            guard value.kind == kind, let bytes = Self.bytes(of: value) else { return false }
            guard bytes.count == size * lanes.count else { return false }
            return lanes.enumerated().allSatisfy { index, lane in
                var bits: UInt64 = 0
                for i in 0..<size { bits |= UInt64(bytes[index * size + i]) << (8 * UInt64(i)) }
                return lane.matches(bits, size: size)
            }
        default: return false
        }
    }

    /// A number's or vector's little-endian bytes.
    static func bytes(of value: Wasmc.Value) -> [UInt8]? {
        func littleEndian<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
            (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) }
        }
        switch value {
        case .i32(let v): return littleEndian(UInt32(bitPattern: v))
        case .i64(let v): return littleEndian(UInt64(bitPattern: v))
        case .f32(let v): return littleEndian(v.bitPattern)
        case .f64(let v): return littleEndian(v.bitPattern)
        case .v128(let v): return v.bytes
        case .funcref, .externref, .exnref: return nil
        }
    }
}

extension ExpectedLane {
    /// Whether a lane of `size` bytes holding `bits` is what this expects.
    func matches(_ bits: UInt64, size: Int) -> Bool {
        let (quietNaN, magnitude): (UInt64, UInt64) = size == 4
            ? (0x7fc0_0000, 0x7fff_ffff) : (0x7ff8_0000_0000_0000, 0x7fff_ffff_ffff_ffff)
        switch self {
        case .exact(let expected): return bits == expected
        case .canonicalNaN: return bits & magnitude == quietNaN
        case .arithmeticNaN: return bits & quietNaN == quietNaN
        }
    }
}

/// Which NaNs a float lane of an expected v128 accepts.
enum NaNKind {
    case canonical
    case arithmetic
}

/// WasmKit's WAT parser reads both `nan:canonical` and `nan:arithmetic` lanes of a
/// `(v128.const f32x4 ...)` expectation into one NaN mask. This recovers the kind of each lane
/// from the script text of the assertion.
struct NaNLaneKinds {
    private let bytes: [UInt8]
    private var lineStarts: [Int] = [0]

    init(text: String) {
        bytes = Array(text.utf8)
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") { lineStarts.append(i + 1) }
    }

    /// For the first assert_return starting on `line` (1-based): the lane kinds of each float
    /// v128.const among its expected results, in order.
    func expectedLanes(line: Int) -> [[NaNKind?]] {
        guard line >= 1, line <= lineStarts.count else { return [] }
        let tokens = self.tokens(from: lineStarts[line - 1])
        guard let start = tokens.indices.first(where: { tokens[$0] == "(" && $0 + 1 < tokens.count && tokens[$0 + 1] == "assert_return" })
        else { return [] }
        // Skip the action, the assertion's first form.
        var i = start + 2
        var depth = 0
        repeat {
            if tokens[i] == "(" { depth += 1 } else if tokens[i] == ")" { depth -= 1 }
            i += 1
        } while depth > 0 && i < tokens.count
        var result: [[NaNKind?]] = []
        depth = 1
        while i + 2 < tokens.count, depth > 0 {
            if tokens[i] == "(" && tokens[i + 1] == "v128.const" && (tokens[i + 2] == "f32x4" || tokens[i + 2] == "f64x2") {
                let count = tokens[i + 2] == "f32x4" ? 4 : 2
                let lanes = tokens[(i + 3)..<min(i + 3 + count, tokens.count)]
                result.append(lanes.map { $0 == "nan:canonical" ? .canonical : $0 == "nan:arithmetic" ? .arithmetic : nil })
                i += 3 + count
                continue
            }
            if tokens[i] == "(" { depth += 1 } else if tokens[i] == ")" { depth -= 1 }
            i += 1
        }
        return result
    }

    /// Parentheses and atoms from `offset` to the end of the form that starts there, skipping
    /// comments and strings.
    private func tokens(from offset: Int) -> [String] {
        var tokens: [String] = []
        var i = offset
        var depth = 0
        func byte(_ j: Int) -> UInt8 { j < bytes.count ? bytes[j] : 0 }
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: ";") && byte(i + 1) == UInt8(ascii: ";") {
                while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            } else if c == UInt8(ascii: "(") && byte(i + 1) == UInt8(ascii: ";") {
                i += 2
                while i < bytes.count && !(bytes[i] == UInt8(ascii: ";") && byte(i + 1) == UInt8(ascii: ")")) { i += 1 }
                i += 2
            } else if c == UInt8(ascii: "\"") {
                i += 1
                while i < bytes.count && bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
                tokens.append("\"")
            } else if c == UInt8(ascii: "(") || c == UInt8(ascii: ")") {
                tokens.append(c == UInt8(ascii: "(") ? "(" : ")")
                depth += c == UInt8(ascii: "(") ? 1 : -1
                i += 1
                // Stop after the first complete top-level form that contains an assert_return.
                if depth == 0 && tokens.contains("assert_return") { break }
            } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                i += 1
            } else {
                let start = i
                while i < bytes.count, ![UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "("), UInt8(ascii: ")")].contains(bytes[i]) {
                    i += 1
                }
                tokens.append(String(decoding: bytes[start..<i], as: UTF8.self))
            }
        }
        return tokens
    }
}
