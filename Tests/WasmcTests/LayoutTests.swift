import Testing
import Wasmc
import WasmcCodegen
import WasmcModule
import WasmcRuntime
import WasmParser
import WasmTypes

/// The compiler's description of the runtime ABI (RuntimeABI, VMOffsets) must agree with the C
/// runtime's structs (offsetof/sizeof through wasmc_abi_layout).
@Suite("Runtime ABI layout")
struct LayoutTests {
    @Test func fixedOffsetsMatchTheRuntime() {
        let layout = wasmc_abi_layout()
        #expect(Int(layout.value_size) == RuntimeABI.valueSize)
        #expect(Int(layout.funcref_size) == RuntimeABI.FuncRef.size)
        #expect(Int(layout.funcref_code) == RuntimeABI.FuncRef.code)
        #expect(Int(layout.funcref_ctx) == RuntimeABI.FuncRef.ctx)
        #expect(Int(layout.funcref_trampoline) == RuntimeABI.FuncRef.trampoline)
        #expect(Int(layout.funcref_type_id) == RuntimeABI.FuncRef.typeID)
        #expect(Int(layout.memory_base) == RuntimeABI.Memory.base)
        #expect(Int(layout.memory_size) == RuntimeABI.Memory.size)
        #expect(Int(layout.table_elements) == RuntimeABI.Table.elements)
        #expect(Int(layout.table_size) == RuntimeABI.Table.size)
        #expect(Int(layout.store_stack_limit) == RuntimeABI.Store.stackLimit)
        #expect(Int(layout.header_size) == RuntimeABI.Header.size)
        #expect(Int(layout.header_memory0_base) == RuntimeABI.Header.memory0Base)
        #expect(Int(layout.header_memory0) == RuntimeABI.Header.memory0)
        #expect(Int(layout.header_store) == RuntimeABI.Header.store)
        #expect(Int(layout.header_instance) == RuntimeABI.Header.instance)
        #expect(Int(layout.runtime_functions_count) == RuntimeABI.Function.allCases.count)
        #expect(Int(layout.descriptor_size) == RuntimeABI.descriptorSize)
        #expect(Int(layout.exception_tag) == RuntimeABI.Exception.tag)
        #expect(Int(layout.exception_exposed) == RuntimeABI.Exception.exposed)
        #expect(Int(layout.exception_values) == RuntimeABI.Exception.values)
        #expect(RuntimeABI.version == WASMC_ABI_VERSION)
        #expect(RuntimeABI.descriptorMagic == WASMC_DESCRIPTOR_MAGIC)
    }

    @Test func trapCodesMatchTheRuntime() {
        for trap in RuntimeABI.Trap.allCases {
            #expect(String(cString: wasmc_trap_message(trap.rawValue)) != "unknown trap")
        }
        #expect(RuntimeABI.Trap.allCases.count + 1 == Int(WASMC_TRAP_COUNT.rawValue))
        // Each code the compiler emits is the header's (Wasmc.Trap takes its codes from it).
        let header: [RuntimeABI.Trap: Wasmc.Trap] = [
            .unreachable: .unreachable, .memoryOutOfBounds: .memoryOutOfBounds, .tableOutOfBounds: .tableOutOfBounds,
            .undefinedElement: .undefinedElement, .uninitializedElement: .uninitializedElement,
            .indirectCallTypeMismatch: .indirectCallTypeMismatch, .integerDivideByZero: .integerDivideByZero,
            .integerOverflow: .integerOverflow, .invalidConversion: .invalidConversion,
            .callStackExhausted: .callStackExhausted, .host: .hostError, .nullReference: .nullReference,
            .nullFunctionReference: .nullFunctionReference, .nullExceptionReference: .nullExceptionReference,
        ]
        #expect(header.count == RuntimeABI.Trap.allCases.count)
        for (trap, expected) in header { #expect(trap.rawValue == expected.code, "\(trap)") }
    }

    /// The Swift shim's value kinds are the header's numbers (an enum's raw values must be
    /// literals, so they are checked here rather than taken from it).
    @Test func valueKindsMatchTheRuntime() {
        let pairs: [(Wasmc.ValueKind, Int)] = [
            (.i32, WASMC_I32), (.i64, WASMC_I64), (.f32, WASMC_F32), (.f64, WASMC_F64), (.v128, WASMC_V128),
            (.funcref, WASMC_FUNCREF), (.externref, WASMC_EXTERNREF), (.exnref, WASMC_EXNREF),
        ]
        for (kind, number) in pairs { #expect(Int(kind.rawValue) == number, "\(kind)") }
    }

    @Test func vmContextRegionsAreAlignedAndDisjoint() throws {
        // 3 types, 2 imported + 3 defined functions, 1 table, 1 memory, 1 imported + 2 defined globals.
        var module = ModuleInfo()
        module.types = Array(repeating: FunctionType(parameters: [], results: []), count: 3)
        module.functionTypes = [0, 1, 2, 0, 1]
        module.importedFunctionCount = 2
        module.tables = [TableType(elementType: .funcRef, limits: Limits(min: 1))]
        module.memories = [Limits(min: 1)]
        module.globals = Array(repeating: GlobalType(mutability: .variable, valueType: .i64), count: 3)
        module.importedGlobalCount = 1
        let offsets = VMOffsets(module: module)
        #expect(offsets.typeIDs == RuntimeABI.Header.size)
        #expect(offsets.funcRefs >= offsets.typeIDs + 4 * 3 && offsets.funcRefs % 8 == 0)
        #expect(offsets.tables == offsets.funcRefs + 5 * RuntimeABI.FuncRef.size)
        #expect(offsets.memories == offsets.tables + 8)
        #expect(offsets.globalPtrs == offsets.memories + 8)
        #expect(offsets.globalCells >= offsets.globalPtrs + 3 * 8 && offsets.globalCells % 16 == 0)
        #expect(offsets.size == offsets.globalCells + 2 * 16)
    }
}
