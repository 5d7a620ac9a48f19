import WasmParser
import WasmTypes
import WasmcModule

extension ModuleValidator {
    /// Checks that `expression` is constant and produces exactly one value of `type`.
    ///
    /// In WebAssembly 2.0 the constant instructions are `t.const`, `ref.null`, `ref.func` and
    /// `global.get` of an immutable global, and every constant expression (global initializers,
    /// element and data offsets, element items) sees only the *imported* globals (the context C').
    /// As in the reference interpreter, constness is checked before types.
    ///
    /// WasmParser ends every decoded constant expression with `end`, except the items of element
    /// segments written as function indices, which it records as a lone `ref.func`
    /// (`isElementItem`).
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/instructions.html#constant-expressions>
    func checkConstant(_ expression: ConstExpression, type: OperandType, isElementItem: Bool = false) throws(ModuleError) {
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
            case .globalGet(let index):
                guard index < context.importedGlobalCount else { throw .unknownGlobal(index) }
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
                guard let type = OperandType(heapType) else { throw .unsupportedType("ref.null \(heapType)") }
                stack.append(type)
            case .refFunc(let index):
                guard Int(index) < context.functionCount else { throw .unknownFunction(index) }
                stack.append(.funcref)
            case .globalGet(let index):
                stack.append(context.globals[Int(index)].type)
            default:
                throw .constantExpressionRequired
            }
        }
        guard stack == [type] else {
            if isElementItem, stack.count == 1 {
                throw .typeMismatchElementSegment(expected: type, got: stack[0])
            }
            throw .typeMismatchConstant(expected: type, got: stack)
        }
    }
}
