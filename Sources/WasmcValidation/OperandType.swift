import WasmParser
import WasmTypes
import WasmcModule

/// A value type as the validator tracks it (2.0's, and 3.0's `exnref`), plus `unknown`: the type
/// of an operand popped from the polymorphic stack of unreachable code, which matches every type.
///
/// > Note: <https://webassembly.github.io/spec/core/appendix/algorithm.html>
public enum OperandType: UInt8, Sendable, Hashable, CustomStringConvertible {
    case i32, i64, f32, f64, v128, funcref, externref, exnref
    case unknown

    /// The value type for `type`, or `nil` when WasmParser decoded a type of a proposal wasmc
    /// does not implement (a concrete or non-nullable reference type).
    public init?(_ type: ValueType) {
        switch type {
        case .i32: self = .i32
        case .i64: self = .i64
        case .f32: self = .f32
        case .f64: self = .f64
        case .v128: self = .v128
        case .ref(let reference):
            guard let type = OperandType(reference) else { return nil }
            self = type
        }
    }

    /// The nullable reference type for `type` (`funcref`, `externref` or `exnref`), or `nil`.
    public init?(_ type: ReferenceType) {
        guard type.isNullable, let type = OperandType(type.heapType) else { return nil }
        self = type
    }

    /// The nullable reference type over an abstract heap type (`func`, `extern` or `exn`).
    public init?(_ heapType: HeapType) {
        switch heapType {
        case .abstract(.funcRef): self = .funcref
        case .abstract(.externRef): self = .externref
        case .abstract(.exnRef): self = .exnref
        default: return nil
        }
    }

    /// The WasmTypes spelling of this type (`nil` for `unknown`).
    public var valueType: ValueType? {
        switch self {
        case .i32: .i32
        case .i64: .i64
        case .f32: .f32
        case .f64: .f64
        case .v128: .v128
        case .funcref: .ref(.funcRef)
        case .externref: .ref(.externRef)
        case .exnref: .ref(.exnRef)
        case .unknown: nil
        }
    }

    /// A number type (or `unknown`), the operands untyped `select` accepts.
    var isNumeric: Bool {
        switch self {
        case .i32, .i64, .f32, .f64, .unknown: true
        default: false
        }
    }

    /// A vector type (or `unknown`).
    var isVector: Bool { self == .v128 || self == .unknown }

    /// A reference type (or `unknown`).
    var isReference: Bool { self == .funcref || self == .externref || self == .exnref || self == .unknown }

    /// Whether an operand of type `self` may stand where `other` is expected.
    func matches(_ other: OperandType) -> Bool {
        self == other || self == .unknown || other == .unknown
    }

    public var description: String {
        switch self {
        case .i32: "i32"
        case .i64: "i64"
        case .f32: "f32"
        case .f64: "f64"
        case .v128: "v128"
        case .funcref: "funcref"
        case .externref: "externref"
        case .exnref: "exnref"
        case .unknown: "unknown"
        }
    }

    /// One-element result lists, shared so that block types never allocate.
    static let singletons: [[OperandType]] = [[.i32], [.i64], [.f32], [.f64], [.v128], [.funcref], [.externref], [.exnref], [.unknown]]

    var singleton: [OperandType] { Self.singletons[Int(rawValue)] }
}

/// A function type in validator terms.
public struct Signature: Sendable, Equatable {
    public var parameters: [OperandType]
    public var results: [OperandType]

    public init(parameters: [OperandType], results: [OperandType]) {
        self.parameters = parameters
        self.results = results
    }

    static let empty = Signature(parameters: [], results: [])
}

extension OperandType {
    /// Converts a decoded value type, rejecting those outside WebAssembly 2.0 as malformed.
    static func checked(_ type: ValueType) throws(ModuleError) -> OperandType {
        guard let result = OperandType(type) else { throw .unsupportedType(type) }
        return result
    }

    /// Converts a decoded reference type, rejecting those outside WebAssembly 2.0 as malformed.
    static func checked(_ type: ReferenceType) throws(ModuleError) -> OperandType {
        guard let result = OperandType(type) else { throw .unsupportedType(type) }
        return result
    }

    static func checked(_ types: [ValueType]) throws(ModuleError) -> [OperandType] {
        var result: [OperandType] = []
        result.reserveCapacity(types.count)
        for type in types { result.append(try checked(type)) }
        return result
    }
}

extension Proposal {
    /// The proposal that introduced `type`, for one that is not a WebAssembly 2.0 type.
    static func needed(by type: ValueType) -> Proposal {
        guard case .ref(let reference) = type else { return .gc }
        switch reference.heapType {
        case .abstract(.exnRef), .abstract(.noExn): return .exceptionHandling
        case .concrete: return .typedFunctionReferences
        case .abstract(.funcRef), .abstract(.externRef): return .typedFunctionReferences  // non-nullable
        default: return .gc
        }
    }
}
