import CLLVM

public typealias LLVMValue = LLVMValueRef
public typealias LLVMType = LLVMTypeRef

/// An LLVM context and module with the types wasmc uses, plus helpers that keep call sites short.
/// One `IRModule` is used by one thread.
public final class IRModule {
    public let context: LLVMContextRef
    public let module: LLVMModuleRef
    public let void: LLVMType
    public let i1: LLVMType
    public let i8: LLVMType
    public let i16: LLVMType
    public let i32: LLVMType
    public let i64: LLVMType
    public let f32: LLVMType
    public let f64: LLVMType
    /// v128 is carried as <2 x i64> between instructions; SIMD emitters bitcast to their lane shape.
    public let v128: LLVMType
    public let ptr: LLVMType

    public init(name: String) {
        context = LLVMContextCreate()
        module = LLVMModuleCreateWithNameInContext(name, context)
        void = LLVMVoidTypeInContext(context)
        i1 = LLVMInt1TypeInContext(context)
        i8 = LLVMInt8TypeInContext(context)
        i16 = LLVMInt16TypeInContext(context)
        i32 = LLVMInt32TypeInContext(context)
        i64 = LLVMInt64TypeInContext(context)
        f32 = LLVMFloatTypeInContext(context)
        f64 = LLVMDoubleTypeInContext(context)
        v128 = LLVMVectorType(LLVMInt64TypeInContext(context), 2)
        ptr = LLVMPointerTypeInContext(context, 0)
    }

    deinit {
        LLVMDisposeModule(module)
        LLVMContextDispose(context)
    }

    // MARK: Types

    public func function(_ result: LLVMType, _ params: [LLVMType], varArgs: Bool = false) -> LLVMType {
        var params: [LLVMType?] = params
        return params.withUnsafeMutableBufferPointer {
            LLVMFunctionType(result, $0.baseAddress, UInt32($0.count), varArgs ? 1 : 0)
        }
    }

    public func structType(_ elements: [LLVMType]) -> LLVMType {
        var elements: [LLVMType?] = elements
        return elements.withUnsafeMutableBufferPointer {
            LLVMStructTypeInContext(context, $0.baseAddress, UInt32($0.count), 0)
        }
    }

    public func vector(_ element: LLVMType, _ count: Int) -> LLVMType {
        LLVMVectorType(element, UInt32(count))
    }

    public func array(_ element: LLVMType, _ count: Int) -> LLVMType {
        LLVMArrayType2(element, UInt64(count))
    }

    // MARK: Constants

    public func constInt(_ type: LLVMType, _ value: UInt64) -> LLVMValue {
        LLVMConstInt(type, value, 0)
    }

    public func i32(_ value: Int32) -> LLVMValue { LLVMConstInt(i32, UInt64(UInt32(bitPattern: value)), 0) }
    public func i32(_ value: UInt32) -> LLVMValue { LLVMConstInt(i32, UInt64(value), 0) }
    public func i32(_ value: Int) -> LLVMValue { LLVMConstInt(i32, UInt64(UInt32(truncatingIfNeeded: value)), 0) }
    public func i64(_ value: Int64) -> LLVMValue { LLVMConstInt(i64, UInt64(bitPattern: value), 0) }
    public func i64(_ value: UInt64) -> LLVMValue { LLVMConstInt(i64, value, 0) }
    public func i64(_ value: Int) -> LLVMValue { LLVMConstInt(i64, UInt64(bitPattern: Int64(value)), 0) }
    public func i1(_ value: Bool) -> LLVMValue { LLVMConstInt(i1, value ? 1 : 0, 0) }

    /// An f32 constant with exactly these bits (NaN payloads included).
    public func f32(bits: UInt32) -> LLVMValue { LLVMConstBitCast(LLVMConstInt(i32, UInt64(bits), 0), f32) }
    /// An f64 constant with exactly these bits (NaN payloads included).
    public func f64(bits: UInt64) -> LLVMValue { LLVMConstBitCast(LLVMConstInt(i64, bits, 0), f64) }
    public func f32(_ value: Float) -> LLVMValue { f32(bits: value.bitPattern) }
    public func f64(_ value: Double) -> LLVMValue { f64(bits: value.bitPattern) }

    /// A v128 constant from its 16 little-endian bytes.
    public func v128(bytes: [UInt8]) -> LLVMValue {
        precondition(bytes.count == 16)
        var lo: UInt64 = 0
        var hi: UInt64 = 0
        for i in 0..<8 {
            lo |= UInt64(bytes[i]) << (8 * UInt64(i))
            hi |= UInt64(bytes[8 + i]) << (8 * UInt64(i))
        }
        var lanes: [LLVMValue?] = [i64(lo), i64(hi)]
        return lanes.withUnsafeMutableBufferPointer { LLVMConstVector($0.baseAddress, 2) }
    }

    /// A constant vector of `type` (an integer vector) with `value` in every lane.
    public func splat(_ type: LLVMType, _ value: UInt64) -> LLVMValue {
        let count = Int(LLVMGetVectorSize(type))
        var elements: [LLVMValue?] = Array(repeating: LLVMConstInt(LLVMGetElementType(type), value, 0), count: count)
        return elements.withUnsafeMutableBufferPointer { LLVMConstVector($0.baseAddress, UInt32(count)) }
    }

    public func null() -> LLVMValue { LLVMConstNull(ptr) }
    public func zero(_ type: LLVMType) -> LLVMValue { LLVMConstNull(type) }
    public func poison(_ type: LLVMType) -> LLVMValue { LLVMGetPoison(type) }

    public func constArray(_ element: LLVMType, _ values: [LLVMValue]) -> LLVMValue {
        var values: [LLVMValue?] = values
        return values.withUnsafeMutableBufferPointer {
            LLVMConstArray2(element, $0.baseAddress, UInt64($0.count))
        }
    }

    public func constStruct(_ values: [LLVMValue]) -> LLVMValue {
        var values: [LLVMValue?] = values
        return values.withUnsafeMutableBufferPointer {
            LLVMConstStructInContext(context, $0.baseAddress, UInt32($0.count), 0)
        }
    }

    public func constBytes(_ bytes: [UInt8]) -> LLVMValue {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                LLVMConstStringInContext2(context, $0.baseAddress, $0.count, 1)
            }
        }
    }

    // MARK: Globals and functions

    public func addFunction(_ name: String, _ type: LLVMType, linkage: LLVMLinkage = LLVMInternalLinkage) -> LLVMValue {
        let function = LLVMAddFunction(module, name, type)!
        LLVMSetLinkage(function, linkage)
        return function
    }

    /// A private constant global holding `value`.
    public func addConstant(_ name: String, _ value: LLVMValue, alignment: Int = 0, linkage: LLVMLinkage = LLVMPrivateLinkage) -> LLVMValue {
        let global = LLVMAddGlobal(module, LLVMTypeOf(value), name)!
        LLVMSetInitializer(global, value)
        LLVMSetGlobalConstant(global, 1)
        LLVMSetLinkage(global, linkage)
        if alignment > 0 { LLVMSetAlignment(global, UInt32(alignment)) }
        return global
    }

    /// Declares (once) the intrinsic `name` overloaded on `types`.
    public func intrinsic(_ name: String, _ types: [LLVMType]) -> (function: LLVMValue, type: LLVMType) {
        let id = LLVMLookupIntrinsicID(name, name.utf8.count)
        precondition(id != 0, "unknown LLVM intrinsic \(name)")
        var types: [LLVMType?] = types
        return types.withUnsafeMutableBufferPointer { buffer in
            let function = LLVMGetIntrinsicDeclaration(module, id, buffer.baseAddress, buffer.count)!
            let type = LLVMIntrinsicGetType(context, id, buffer.baseAddress, buffer.count)!
            return (function, type)
        }
    }

    public func metadataKind(_ name: String) -> UInt32 {
        LLVMGetMDKindIDInContext(context, name, UInt32(name.utf8.count))
    }

    public func emptyMetadataNode() -> LLVMValue {
        LLVMMetadataAsValue(context, LLVMMDNodeInContext2(context, nil, 0))
    }

    /// `!{!{!"scope", !{!"domain"}}}`: a list of one alias scope, for `!alias.scope` and
    /// `!noalias` (scopes named by strings, so the same names give the same scope).
    public func aliasScopeList(domain: String, scope: String) -> LLVMValue {
        func node(_ operands: [LLVMMetadataRef?]) -> LLVMMetadataRef {
            var operands = operands
            return LLVMMDNodeInContext2(context, &operands, operands.count)
        }
        func string(_ text: String) -> LLVMMetadataRef { LLVMMDStringInContext2(context, text, text.utf8.count) }
        let domainNode = node([string(domain)])
        return LLVMMetadataAsValue(context, node([node([string(scope), domainNode])]))
    }

    public func enumAttribute(_ name: String, _ value: UInt64 = 0) -> LLVMAttributeRef {
        let kind = LLVMGetEnumAttributeKindForName(name, name.utf8.count)
        precondition(kind != 0, "unknown LLVM attribute \(name)")
        return LLVMCreateEnumAttribute(context, kind, value)
    }

    public func addFunctionAttribute(_ function: LLVMValue, _ name: String) {
        LLVMAddAttributeAtIndex(function, LLVMAttributeIndex(bitPattern: -1), enumAttribute(name))
    }

    /// A string attribute `name`=`value` on the function.
    public func addFunctionAttribute(_ function: LLVMValue, _ name: String, _ value: String) {
        let attribute = LLVMCreateStringAttribute(context, name, UInt32(name.utf8.count), value, UInt32(value.utf8.count))
        LLVMAddAttributeAtIndex(function, LLVMAttributeIndex(bitPattern: -1), attribute)
    }

    /// Runs LLVM's verifier; returns the message when the module is broken.
    public func verify() -> String? {
        var message: UnsafeMutablePointer<CChar>?
        let failed = LLVMVerifyModule(module, LLVMReturnStatusAction, &message) != 0
        defer { if let message { LLVMDisposeMessage(message) } }
        return failed ? (message.map { String(cString: $0) } ?? "verification failed") : nil
    }

    public func printIR() -> String {
        let text = LLVMPrintModuleToString(module)!
        defer { LLVMDisposeMessage(text) }
        return String(cString: text)
    }
}
