import WasmcRuntime

/// A WebAssembly value as the host sees it.
public enum Value: Equatable, Hashable, Sendable, CustomStringConvertible {
    case i32(Int32)
    case i64(Int64)
    /// Floats keep their exact bits, NaN payloads included.
    case f32(Float)
    case f64(Double)
    case v128(V128)
    case funcref(FunctionReference?)
    case externref(ExternReference?)
    /// An exception (exception handling), as `catch_ref` and `catch_all_ref` give it.
    case exnref(ExceptionReference?)

    public var kind: ValueKind {
        switch self {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .v128: return .v128
        case .funcref: return .funcref
        case .externref: return .externref
        case .exnref: return .exnref
        }
    }

    /// The zero value of a kind (null for references).
    public static func zero(_ kind: ValueKind) -> Value {
        switch kind {
        case .i32: return .i32(0)
        case .i64: return .i64(0)
        case .f32: return .f32(0)
        case .f64: return .f64(0)
        case .v128: return .v128(V128(bytes: Array(repeating: 0, count: 16)))
        case .funcref: return .funcref(nil)
        case .externref: return .externref(nil)
        case .exnref: return .exnref(nil)
        }
    }

    public static func == (lhs: Value, rhs: Value) -> Bool {
        switch (lhs, rhs) {
        case (.i32(let a), .i32(let b)): return a == b
        case (.i64(let a), .i64(let b)): return a == b
        case (.f32(let a), .f32(let b)): return a.bitPattern == b.bitPattern
        case (.f64(let a), .f64(let b)): return a.bitPattern == b.bitPattern
        case (.v128(let a), .v128(let b)): return a == b
        case (.funcref(let a), .funcref(let b)): return a == b
        case (.externref(let a), .externref(let b)): return a == b
        case (.exnref(let a), .exnref(let b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .i32(let v): hasher.combine(0); hasher.combine(v)
        case .i64(let v): hasher.combine(1); hasher.combine(v)
        case .f32(let v): hasher.combine(2); hasher.combine(v.bitPattern)
        case .f64(let v): hasher.combine(3); hasher.combine(v.bitPattern)
        case .v128(let v): hasher.combine(4); hasher.combine(v)
        case .funcref(let v): hasher.combine(5); hasher.combine(v)
        case .externref(let v): hasher.combine(6); hasher.combine(v)
        case .exnref(let v): hasher.combine(7); hasher.combine(v)
        }
    }

    /// The `wasmc run` notation: i32/i64 in signed decimal, floats as the shortest decimal that
    /// reads back to the same bits, with nan (plus payload when not canonical), inf and -0 spelled out.
    public var description: String {
        switch self {
        case .i32(let v): return String(v)
        case .i64(let v): return String(v)
        case .f32(let v): return Value.format(v, payload: UInt64(v.bitPattern & 0x7f_ffff), canonical: 0x40_0000)
        case .f64(let v): return Value.format(v, payload: v.bitPattern & 0xf_ffff_ffff_ffff, canonical: 0x8_0000_0000_0000)
        case .v128(let v): return v.description
        case .funcref(let f): return f == nil ? "ref.null func" : "ref.func"
        case .externref(let e): return e.map { "ref.extern \($0.bits)" } ?? "ref.null extern"
        case .exnref(let e): return e == nil ? "ref.null exn" : "ref.exn"
        }
    }

    private static func format<F: BinaryFloatingPoint & LosslessStringConvertible>(_ v: F, payload: UInt64, canonical: UInt64) -> String {
        if v.isNaN {
            let sign = v.sign == .minus ? "-" : ""
            return payload == canonical ? "\(sign)nan" : "\(sign)nan:0x\(String(payload, radix: 16))"
        }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        return "\(v)"
    }
}

/// The kinds of WebAssembly values, numbered as the runtime ABI numbers them.
public enum ValueKind: UInt8, Sendable, CustomStringConvertible {
    case i32 = 0, i64 = 1, f32 = 2, f64 = 3, v128 = 4, funcref = 5, externref = 6, exnref = 7

    public var description: String {
        switch self {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .funcref: return "funcref"
        case .externref: return "externref"
        case .exnref: return "exnref"
        }
    }
}

/// 128 bits of SIMD data, in memory (little-endian lane) order.
public struct V128: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a v128 has 16 bytes")
        self.bytes = bytes
    }

    /// `0x` followed by the 16 bytes as one little-endian 128-bit hexadecimal number.
    public var description: String {
        "0x" + bytes.reversed().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// A non-null reference to a function, as a funcref value carries it.
public struct FunctionReference: Hashable, @unchecked Sendable {
    let pointer: UnsafeRawPointer
}

/// A non-null reference to an exception (a `wasmc_exception`), valid as long as the store it
/// belongs to.
public struct ExceptionReference: Hashable, @unchecked Sendable {
    let pointer: UnsafeMutablePointer<wasmc_exception>
}

/// A non-null external reference: an opaque, non-zero word chosen by the host.
public struct ExternReference: Hashable, Sendable {
    public let bits: UInt

    public init(bits: UInt) {
        precondition(bits != 0, "0 is the null reference")
        self.bits = bits
    }
}

extension Value {
    /// Writes the value into a runtime slot.
    func store(to slot: UnsafeMutablePointer<wasmc_value>) {
        switch self {
        case .i32(let v): slot.pointee.i32 = v
        case .i64(let v): slot.pointee.i64 = v
        case .f32(let v): UnsafeMutableRawPointer(slot).storeBytes(of: v.bitPattern, as: UInt32.self)
        case .f64(let v): UnsafeMutableRawPointer(slot).storeBytes(of: v.bitPattern, as: UInt64.self)
        case .v128(let v):
            v.bytes.withUnsafeBytes { UnsafeMutableRawPointer(slot).copyMemory(from: $0.baseAddress!, byteCount: 16) }
        case .funcref(let f): slot.pointee.ref = UnsafeMutableRawPointer(mutating: f?.pointer)
        case .externref(let e): slot.pointee.ref = e.flatMap { UnsafeMutableRawPointer(bitPattern: $0.bits) }
        case .exnref(let e): slot.pointee.ref = e.map { UnsafeMutableRawPointer($0.pointer) }
        }
    }

    /// Reads a value of `kind` from a runtime slot.
    static func load(_ kind: ValueKind, from slot: UnsafePointer<wasmc_value>) -> Value {
        let raw = UnsafeRawPointer(slot)
        switch kind {
        case .i32: return .i32(raw.load(as: Int32.self))
        case .i64: return .i64(raw.load(as: Int64.self))
        case .f32: return .f32(Float(bitPattern: raw.load(as: UInt32.self)))
        case .f64: return .f64(Double(bitPattern: raw.load(as: UInt64.self)))
        case .v128: return .v128(V128(bytes: Array(UnsafeRawBufferPointer(start: raw, count: 16))))
        case .funcref: return .funcref(raw.load(as: UnsafeRawPointer?.self).map(FunctionReference.init))
        case .externref:
            let bits = UInt(bitPattern: raw.load(as: UnsafeRawPointer?.self))
            return .externref(bits == 0 ? nil : ExternReference(bits: bits))
        case .exnref:
            return .exnref(raw.load(as: UnsafeMutableRawPointer?.self).map {
                ExceptionReference(pointer: $0.assumingMemoryBound(to: wasmc_exception.self))
            })
        }
    }
}
