import WasmParser
import WasmTypes
import WasmcModule

extension ModuleValidator {
    /// Checks that `expression` is constant and produces exactly one value of `type`.
    ///
    /// In WebAssembly 2.0 the constant instructions are `t.const`, `ref.null`, `ref.func` and
    /// `global.get` of an immutable global, and every constant expression (global initializers,
    /// element and data offsets, element items) sees only the *imported* globals (the context C').
    /// WebAssembly 3.0 adds `i32`/`i64` `add`, `sub` and `mul` (extended-const) and lets a
    /// constant read every global defined before it (`visibleGlobals`; all of them outside global
    /// initializers). As in the reference interpreter, constness is checked before types.
    ///
    /// WasmParser ends every decoded constant expression with `end`, except the items of element
    /// segments written as function indices, which it records as a lone `ref.func`
    /// (`isElementItem`).
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/instructions.html#constant-expressions>
    func checkConstant(
        _ expression: ConstExpression, type: OperandType, isElementItem: Bool = false, visibleGlobals: Int? = nil
    ) throws(ModuleError) {
        let visibleGlobals = visibleGlobals ?? (features.constantsReadDefinedGlobals ? context.globals.count : context.importedGlobalCount)
        let extended = features.allows(.extendedConst)
        var instructions = expression[...]
        if instructions.last == .end {
            instructions = instructions.dropLast()
        } else if !isElementItem {
            throw ModuleError.malformed("constant expression must end with `end`")
        }

        for instruction in instructions {
            switch instruction {
            case .i32Const, .i64Const, .f32Const, .f64Const, .v128Const, .refNull, .refFunc:
                break
            case .binary(.i32Add), .binary(.i32Sub), .binary(.i32Mul), .binary(.i64Add), .binary(.i64Sub), .binary(.i64Mul):
                guard extended else { throw .constantExpressionRequired }
            case .globalGet(let index):
                guard index < visibleGlobals else { throw .unknownGlobal(index) }
                guard !context.globals[Int(index)].isMutable else { throw .constantExpressionRequired(mutableGlobal: index) }
            default:
                throw .constantExpressionRequired
            }
        }

        var stack: [OperandType] = []
        for instruction in instructions {
            switch instruction {
            case .i32Const: stack.append(.i32)
            case .i64Const: stack.append(.i64)
            case .f32Const: stack.append(.f32)
            case .f64Const: stack.append(.f64)
            case .v128Const: stack.append(.v128)
            case .refNull(let heapType):
                stack.append(try context.operandType(ReferenceType(isNullable: true, heapType: heapType)))
            case .refFunc(let index):
                guard Int(index) < context.functionCount else { throw .unknownFunction(index) }
                stack.append(context.functionReference(typeIndex: context.functionTypeIndices[Int(index)]))
            case .globalGet(let index):
                stack.append(context.globals[Int(index)].type)
            case .binary(let operation):
                let operand: OperandType = [.i32Add, .i32Sub, .i32Mul].contains(operation) ? .i32 : .i64
                guard stack.count >= 2, stack.suffix(2).allSatisfy({ $0 == operand }) else {
                    throw .typeMismatchConstant(expected: type, got: stack)
                }
                stack.removeLast()
            default:
                throw .constantExpressionRequired
            }
        }
        guard stack.count == 1, stack[0].matches(type) else {
            if isElementItem, stack.count == 1 {
                throw .typeMismatchElementSegment(expected: type, got: stack[0])
            }
            throw .typeMismatchConstant(expected: type, got: stack)
        }
    }
}
