import WasmParser
import WasmTypes

/// Where the indices of one module linked into another (`ModuleLinker`) went in the linked
/// module, index space by index space: entry `i` of `functions` is the linked function index of
/// the module's function `i`, and so on. The module's code keeps its own indices; codegen maps
/// each instruction's through this (`map(_:)`), as it maps its constant expressions and types.
public struct IndexMap: Sendable, Equatable {
    public var types: [UInt32] = []
    public var functions: [UInt32] = []
    public var tables: [UInt32] = []
    public var memories: [UInt32] = []
    public var globals: [UInt32] = []
    public var tags: [UInt32] = []
    public var elements: [UInt32] = []
    /// The linked index of the module's first data segment (its segments stay in order).
    public var firstData: UInt32 = 0

    public init() {}

    public func map(_ operator: Operator) -> Operator {
        switch `operator` {
        case .instruction(let instruction): return .instruction(map(instruction))
        case .legacy(.try(let blockType)): return .legacy(.try(blockType: map(blockType)))
        case .legacy(.catch(let tag)): return .legacy(.catch(tagIndex: tags[Int(tag)]))
        case .legacy: return `operator`
        }
    }

    /// `instruction` with its indices (and the type indices in its types) mapped. Every index an
    /// instruction wasmc compiles can carry is here; the GC and threads instructions, which
    /// validation refuses, are not.
    public func map(_ instruction: Instruction) -> Instruction {
        switch instruction {
        case .block(let type): return .block(blockType: map(type))
        case .loop(let type): return .loop(blockType: map(type))
        case .if(let type): return .if(blockType: map(type))
        case .throw(let tag): return .throw(tagIndex: tags[Int(tag)])
        case .call(let function): return .call(functionIndex: functions[Int(function)])
        case .callIndirect(let type, let table): return .callIndirect(typeIndex: types[Int(type)], tableIndex: tables[Int(table)])
        case .returnCall(let function): return .returnCall(functionIndex: functions[Int(function)])
        case .returnCallIndirect(let type, let table):
            return .returnCallIndirect(typeIndex: types[Int(type)], tableIndex: tables[Int(table)])
        case .callRef(let type): return .callRef(typeIndex: types[Int(type)])
        case .returnCallRef(let type): return .returnCallRef(typeIndex: types[Int(type)])
        case .tryTable(let type, let clauses):
            return .tryTable(blockType: map(type), tryCatch: TryCatch(catches: clauses.catches.map { clause in
                switch clause {
                case .catch(let tag, let label): return .catch(tagIndex: tags[Int(tag)], labelIndex: label)
                case .catchRef(let tag, let label): return .catchRef(tagIndex: tags[Int(tag)], labelIndex: label)
                case .catchAll, .catchAllRef: return clause
                }
            }))
        case .typedSelect(let type): return .typedSelect(type: map(type))
        case .globalGet(let global): return .globalGet(globalIndex: globals[Int(global)])
        case .globalSet(let global): return .globalSet(globalIndex: globals[Int(global)])
        case .load(let load, let memarg): return .load(load, memarg: map(memarg))
        case .store(let store, let memarg): return .store(store, memarg: map(memarg))
        case .memorySize(let memory): return .memorySize(memory: memories[Int(memory)])
        case .memoryGrow(let memory): return .memoryGrow(memory: memories[Int(memory)])
        case .refNull(let type): return .refNull(type: map(type))
        case .refFunc(let function): return .refFunc(functionIndex: functions[Int(function)])
        case .memoryInit(let data, let memory): return .memoryInit(dataIndex: firstData + data, memory: memories[Int(memory)])
        case .dataDrop(let data): return .dataDrop(dataIndex: firstData + data)
        case .memoryCopy(let destination, let source):
            return .memoryCopy(dstMem: memories[Int(destination)], srcMem: memories[Int(source)])
        case .memoryFill(let memory): return .memoryFill(memory: memories[Int(memory)])
        case .tableInit(let element, let table): return .tableInit(elemIndex: elements[Int(element)], table: tables[Int(table)])
        case .elemDrop(let element): return .elemDrop(elemIndex: elements[Int(element)])
        case .tableCopy(let destination, let source):
            return .tableCopy(dstTable: tables[Int(destination)], srcTable: tables[Int(source)])
        case .tableFill(let table): return .tableFill(table: tables[Int(table)])
        case .tableGet(let table): return .tableGet(table: tables[Int(table)])
        case .tableSet(let table): return .tableSet(table: tables[Int(table)])
        case .tableGrow(let table): return .tableGrow(table: tables[Int(table)])
        case .tableSize(let table): return .tableSize(table: tables[Int(table)])
        case .simdMemLane(let operation, let memarg, let lane): return .simdMemLane(operation, memarg: map(memarg), lane: lane)
        default: return instruction
        }
    }

    public func map(_ expression: ConstExpression) -> ConstExpression {
        expression.map { map($0) }
    }

    public func map(_ type: BlockType) -> BlockType {
        switch type {
        case .funcType(let index): return .funcType(types[Int(index)])
        case .type(let value): return .type(map(value))
        case .empty: return type
        }
    }

    public func map(_ memarg: MemArg) -> MemArg {
        MemArg(offset: memarg.offset, align: memarg.align, memory: memories[Int(memarg.memory)])
    }

    public func map(_ type: ValueType) -> ValueType {
        if case .ref(let reference) = type { return .ref(map(reference)) }
        return type
    }

    public func map(_ type: ReferenceType) -> ReferenceType {
        ReferenceType(isNullable: type.isNullable, heapType: map(type.heapType))
    }

    public func map(_ type: HeapType) -> HeapType {
        if case .concrete(let index) = type { return .concrete(typeIndex: types[Int(index)]) }
        return type
    }

    public func map(_ type: FunctionType) -> FunctionType {
        FunctionType(parameters: type.parameters.map { map($0) }, results: type.results.map { map($0) })
    }

    public func map(_ descriptor: ImportDescriptor) -> ImportDescriptor {
        switch descriptor {
        case .function(let type): return .function(types[Int(type)])
        case .table(let type): return .table(TableType(elementType: map(type.elementType), limits: type.limits))
        case .memory: return descriptor
        case .global(let type): return .global(GlobalType(mutability: type.mutability, valueType: map(type.valueType)))
        case .tag(let type): return .tag(types[Int(type)])
        }
    }

    public func map(_ descriptor: ExportDescriptor) -> ExportDescriptor {
        switch descriptor {
        case .function(let index): return .function(functions[Int(index)])
        case .table(let index): return .table(tables[Int(index)])
        case .memory(let index): return .memory(memories[Int(index)])
        case .global(let index): return .global(globals[Int(index)])
        case .tag(let index): return .tag(tags[Int(index)])
        }
    }
}
