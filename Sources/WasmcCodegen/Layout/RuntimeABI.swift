import WasmcRuntime
import WasmTypes

/// The Swift mirror of Runtime/include/wasmc_abi.h: fixed offsets and codes the generated code
/// relies on. `LayoutTests` checks every number here against the C runtime's `wasmc_abi_layout()`.
public enum RuntimeABI {
    public static let version: UInt32 = WASMC_ABI_VERSION
    public static let descriptorMagic: UInt32 = WASMC_DESCRIPTOR_MAGIC
    public static let descriptorSymbol = "wasmc_module"

    /// Size of one slot of the uniform calling convention (`wasmc_value`).
    public static let valueSize = 16

    /// `wasmc_funcref`.
    public enum FuncRef {
        public static let size = 32
        public static let code = 0
        public static let ctx = 8
        public static let trampoline = 16
        public static let typeID = 24
    }

    /// `wasmc_exception`: what an exnref points to.
    public enum Exception {
        public static let tag = 32
        public static let exposed = 44
        public static let values = 80
    }

    /// `wasmc_memory`.
    public enum Memory {
        public static let base = 0
        public static let size = 8
    }

    /// `wasmc_table`.
    public enum Table {
        public static let elements = 0
        public static let size = 8
    }

    /// `wasmc_store`.
    public enum Store {
        public static let stackLimit = 0
    }

    /// `wasmc_vmctx_header`.
    public enum Header {
        public static let size = 32
        public static let memory0Base = 0
        public static let memory0 = 8
        public static let store = 16
        public static let instance = 24
    }

    /// Size of `wasmc_module_descriptor` on 64-bit targets.
    public static let descriptorSize = 80

    /// `wasmc_trap`.
    public enum Trap: UInt32, CaseIterable, Sendable {
        case unreachable = 1
        case memoryOutOfBounds = 2
        case tableOutOfBounds = 3
        case undefinedElement = 4
        case uninitializedElement = 5
        case indirectCallTypeMismatch = 6
        case integerDivideByZero = 7
        case integerOverflow = 8
        case invalidConversion = 9
        case callStackExhausted = 10
        case host = 11
        case nullReference = 12
        case nullFunctionReference = 13
        case nullExceptionReference = 14
    }

    /// Value kinds as the metadata blob encodes them: the runtime header's WASMC_I32...
    public static func kind(of type: ValueType) -> UInt8 {
        let kind: Int
        switch type {
        case .i32: kind = WASMC_I32
        case .i64: kind = WASMC_I64
        case .f32: kind = WASMC_F32
        case .f64: kind = WASMC_F64
        case .v128: kind = WASMC_V128
        case .ref(let ref):
            switch ref.heapType {
            case .abstract(.externRef), .abstract(.noExtern): kind = WASMC_EXTERNREF
            case .abstract(.exnRef), .abstract(.noExn): kind = WASMC_EXNREF
            default: kind = WASMC_FUNCREF
            }
        }
        return UInt8(kind)
    }

    /// The runtime functions, in `wasmc_runtime_functions` field order. The single list from which
    /// the compiler derives each call's LLVM signature.
    public enum Function: Int, CaseIterable, Sendable {
        case trap
        case memoryGrow
        case memoryFill
        case memoryCopy
        case memoryInit
        case dataDrop
        case tableGrow
        case tableFill
        case tableCopy
        case tableInit
        case elemDrop
        case elemSegmentAlloc
        case callHost
        case `throw`
        case throwRef
        case exceptionDrop
        case personality
        case exceptionNew

        /// Parameter and result types, in a tiny notation: p = pointer, i = i32, l = i64, v = void.
        public var signature: (params: String, result: Character) {
            switch self {
            case .trap: return ("pi", "v")
            case .memoryGrow: return ("pii", "i")
            case .memoryFill: return ("piiii", "v")
            case .memoryCopy: return ("piiiii", "v")
            case .memoryInit: return ("piiiii", "v")
            case .dataDrop: return ("pi", "v")
            case .tableGrow: return ("pipi", "i")
            case .tableFill: return ("piipi", "v")
            case .tableCopy: return ("piiiii", "v")
            case .tableInit: return ("piiiii", "v")
            case .elemDrop: return ("pi", "v")
            case .elemSegmentAlloc: return ("pii", "p")
            case .callHost: return ("pp", "v")
            case .throw: return ("pip", "v")
            case .throwRef: return ("pp", "v")
            case .exceptionDrop: return ("pp", "v")
            case .personality: return ("iilpp", "i")
            case .exceptionNew: return ("pip", "p")
            }
        }

        /// Byte offset of the field in `wasmc_runtime_functions`.
        public var offset: Int { rawValue * 8 }
    }
}
