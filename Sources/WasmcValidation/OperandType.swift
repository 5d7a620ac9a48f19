import WasmParser
import WasmTypes
import WasmcModule

/// A value type as the validator tracks it, plus `unknown`: the type of an operand popped from
/// the polymorphic stack of unreachable code, which matches every type.
///
/// Reference types carry their nullability and heap type (typed function references): a
/// concrete heap type is a function type, named by its *canonical* type index (the first type
/// index of the module whose type is equivalent, `ValidationContext.canonicalTypes`), so that
/// equivalent types compare equal.
///
/// > Note: <https://webassembly.github.io/spec/core/appendix/algorithm.html>
public enum OperandType: Sendable, Hashable, CustomStringConvertible {
    case i32, i64, f32, f64, v128
    case ref(nullable: Bool, Heap)
    case unknown

    /// A heap type of the proposals wasmc implements.
    public enum Heap: Sendable, Hashable {
        case function, extern, exception
        /// The bottom types (`nofunc`, `noextern`, `noexn`): only null references have them.
        case noFunction, noExtern, noException
        /// A function type, by canonical type index.
        case type(Int)
        /// What `ref.as_non_null` and the branches on null make of an `unknown` operand.
        case bottom
    }

    public static let funcref = OperandType.ref(nullable: true, .function)
    public static let externref = OperandType.ref(nullable: true, .extern)
    public static let exnref = OperandType.ref(nullable: true, .exception)

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
    var isReference: Bool {
        switch self {
        case .ref, .unknown: true
        default: false
        }
    }

    /// Whether a local of this type needs no initialization: numbers, vectors, nullable
    /// references.
    var isDefaultable: Bool {
        if case .ref(let nullable, _) = self { return nullable }
        return true
    }

    /// The same reference type without null (`ref.as_non_null`); `unknown` stays a bottom
    /// reference.
    var nonNullable: OperandType {
        switch self {
        case .ref(_, let heap): .ref(nullable: false, heap)
        default: .ref(nullable: false, .bottom)
        }
    }

    /// Whether an operand of type `self` may stand where `other` is expected: the same type, or
    /// a subtype (a non-null reference for a nullable one, a concrete function type for `func`,
    /// a bottom type for any of its hierarchy).
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/matching.html>
    func matches(_ other: OperandType) -> Bool {
        if self == other || self == .unknown || other == .unknown { return true }
        guard case .ref(let nullable, let heap) = self, case .ref(let otherNullable, let otherHeap) = other else { return false }
        guard !nullable || otherNullable else { return false }
        return heap.matches(otherHeap)
    }

    public var description: String {
        switch self {
        case .i32: "i32"
        case .i64: "i64"
        case .f32: "f32"
        case .f64: "f64"
        case .v128: "v128"
        case .ref(true, .function): "funcref"
        case .ref(true, .extern): "externref"
        case .ref(true, .exception): "exnref"
        case .ref(let nullable, let heap): "(ref \(nullable ? "null " : "")\(heap))"
        case .unknown: "unknown"
        }
    }

    /// One-element result lists of the types without payload, shared so that block types of
    /// them never allocate.
    private static let singletons: [OperandType: [OperandType]] = Dictionary(
        uniqueKeysWithValues: [OperandType.i32, .i64, .f32, .f64, .v128, .funcref, .externref, .exnref, .unknown].map { ($0, [$0]) })

    var singleton: [OperandType] { Self.singletons[self] ?? [self] }
}

extension OperandType.Heap: CustomStringConvertible {
    /// Whether `self` is `other` or below it.
    func matches(_ other: OperandType.Heap) -> Bool {
        if self == other || self == .bottom { return true }
        switch (self, other) {
        case (.type, .function), (.noFunction, .function), (.noFunction, .type), (.noExtern, .extern),
            (.noException, .exception):
            return true
        default:
            return false
        }
    }

    public var description: String {
        switch self {
        case .function: "func"
        case .extern: "extern"
        case .exception: "exn"
        case .noFunction: "nofunc"
        case .noExtern: "noextern"
        case .noException: "noexn"
        case .type(let index): "\(index)"
        case .bottom: "bot"
        }
    }
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

extension Proposal {
    /// The proposal a value type needs that wasmc does not implement (GC's heap types).
    static func needed(by type: ValueType) -> Proposal {
        guard case .ref(let reference) = type else { return .gc }
        switch reference.heapType {
        case .abstract(.exnRef), .abstract(.noExn): return .exceptionHandling
        case .concrete, .abstract(.funcRef), .abstract(.externRef), .abstract(.noFunc), .abstract(.noExtern):
            return .typedFunctionReferences
        default: return .gc
        }
    }
}
