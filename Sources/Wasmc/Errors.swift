import WasmcRuntime

/// A trap: the wasm code did something the spec defines as an error (and nothing else happened
/// to the host).
public struct Trap: Error, Equatable, Sendable, CustomStringConvertible {
    /// The runtime's `wasmc_trap` code.
    public let code: UInt32

    public init(code: UInt32) { self.code = code }

    /// The codes come from the runtime's header (wasmc_abi.h), not restated here.
    private init(_ trap: wasmc_trap) { self.code = trap.rawValue }

    public static let unreachable = Trap(WASMC_TRAP_UNREACHABLE)
    public static let memoryOutOfBounds = Trap(WASMC_TRAP_MEMORY_OUT_OF_BOUNDS)
    public static let tableOutOfBounds = Trap(WASMC_TRAP_TABLE_OUT_OF_BOUNDS)
    public static let undefinedElement = Trap(WASMC_TRAP_UNDEFINED_ELEMENT)
    public static let uninitializedElement = Trap(WASMC_TRAP_UNINITIALIZED_ELEMENT)
    public static let indirectCallTypeMismatch = Trap(WASMC_TRAP_INDIRECT_CALL_TYPE_MISMATCH)
    public static let integerDivideByZero = Trap(WASMC_TRAP_INTEGER_DIVIDE_BY_ZERO)
    public static let integerOverflow = Trap(WASMC_TRAP_INTEGER_OVERFLOW)
    public static let invalidConversion = Trap(WASMC_TRAP_INVALID_CONVERSION)
    public static let callStackExhausted = Trap(WASMC_TRAP_CALL_STACK_EXHAUSTED)
    public static let hostError = Trap(WASMC_TRAP_HOST)
    public static let nullReference = Trap(WASMC_TRAP_NULL_REFERENCE)
    public static let nullFunctionReference = Trap(WASMC_TRAP_NULL_FUNCTION_REFERENCE)
    public static let nullExceptionReference = Trap(WASMC_TRAP_NULL_EXCEPTION_REFERENCE)

    /// The spec's wording, e.g. "integer divide by zero".
    public var message: String { String(cString: wasmc_trap_message(code)) }
    public var description: String { "wasm trap: \(message)" }
}

/// Why a module could not be loaded, linked or instantiated.
public struct WasmcError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Not a loadable artifact (not one, damaged).
        case load
        /// A sound artifact without native code this machine can run (another architecture, a
        /// CPU feature this CPU lacks, another ABI version); the wasm inside can still be
        /// interpreted.
        case noNativeCode
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
        /// A key file that cannot be read or used.
        case key
        /// Refused by a trust policy: unsigned, altered, or signed by a key it does not trust.
        case untrusted
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
        case WASMC_ERROR_NO_NATIVE: self.init(.noNativeCode, message)
        default: self.init(.load, message)
        }
    }
}
