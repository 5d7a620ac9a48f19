import WasmcRuntime

/// A trap: the wasm code did something the spec defines as an error (and nothing else happened
/// to the host).
public struct Trap: Error, Equatable, Sendable, CustomStringConvertible {
    /// The runtime's `wasmc_trap` code.
    public let code: UInt32

    public init(code: UInt32) { self.code = code }

    public static let unreachable = Trap(code: 1)
    public static let memoryOutOfBounds = Trap(code: 2)
    public static let tableOutOfBounds = Trap(code: 3)
    public static let undefinedElement = Trap(code: 4)
    public static let uninitializedElement = Trap(code: 5)
    public static let indirectCallTypeMismatch = Trap(code: 6)
    public static let integerDivideByZero = Trap(code: 7)
    public static let integerOverflow = Trap(code: 8)
    public static let invalidConversion = Trap(code: 9)
    public static let callStackExhausted = Trap(code: 10)
    public static let hostError = Trap(code: 11)
    public static let nullReference = Trap(code: 12)
    public static let nullFunctionReference = Trap(code: 13)
    public static let nullExceptionReference = Trap(code: 14)

    /// The spec's wording, e.g. "integer divide by zero".
    public var message: String { String(cString: wasmc_trap_message(code)) }
    public var description: String { "wasm trap: \(message)" }
}

/// Why a module could not be loaded, linked or instantiated.
public struct WasmcError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Not a loadable artifact (wrong file, ABI, target or CPU).
        case load
        /// Imports missing or of the wrong type.
        case link
        /// Instantiation trapped (segment out of bounds, trap in the start function).
        case trap(Trap)
        /// The start function threw an exception it did not catch.
        case exception(WasmException)
        /// Out of memory or address space.
        case resource
        /// The wasm input did not compile.
        case compile
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    init(_ error: wasmc_error) {
        var error = error
        let message = withUnsafeBytes(of: &error.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        switch error.kind {
        case WASMC_ERROR_LINK: self.init(.link, message)
        case WASMC_ERROR_TRAP: self.init(.trap(Trap(code: error.trap)), message)
        case WASMC_ERROR_RESOURCE: self.init(.resource, message)
        default: self.init(.load, message)
        }
    }
}
