import WasmParser
import WasmTypes
import WasmcModule

/// Validates a decoded module against the WebAssembly 2.0 rules: every module-level rule, then
/// every function body with the operand/control stack algorithm of the spec's appendix.
///
/// Throws a `ModuleError` of kind `.invalid` (or `.malformed`, for what the 2.0 binary format
/// cannot express but WasmParser decodes anyway) with the byte offset of the offending
/// instruction or section, and for errors inside a body the function's index in the function
/// index space.
///
/// > Note: <https://webassembly.github.io/spec/core/valid/modules.html#valid-module>
/// A module from `ModuleDecoder.decodeCode`, whose data segments have not arrived, is valid but
/// for them: `validateDataSegments` checks those once `decodeRest` has added them.
public func validateModule(_ module: ModuleInfo, features: WasmFeatures = .default) throws(ModuleError) {
    let context = try ValidationContext(validating: module, features: features)
    for defined in module.definedIndices(FunctionSpace.self) {
        let code = module.code(defined)
        var validator = try FunctionValidator(context: context, functionIndex: module.index(of: defined).rawValue, locals: code.locals)
        try validator.validateBody(code)
    }
}

/// Validates the data segments of a module `validateModule` validated without them (once
/// `ModuleDecoder.decodeRest` has added them): the module-level rules again, which are cheap
/// and include the segments', without the function bodies.
public func validateDataSegments(_ module: ModuleInfo, features: WasmFeatures = .default) throws(ModuleError) {
    _ = try ValidationContext(validating: module, features: features)
}

/// The module-level rules (spec 3.4), which fill in a `ValidationContext` as they go.
struct ModuleValidator {
    let module: ModuleInfo
    let features: WasmFeatures
    var context = ValidationContext()

    init(module: ModuleInfo, features: WasmFeatures) {
        self.module = module
        self.features = features
    }

    mutating func validateModuleLevel() throws(ModuleError) {
        let offsets = module.sectionOffsets
        context.features = features

        // Types: each one's value types, and the first type it is equivalent to. A type may
        // refer to itself (a recursion group of one) and to the types before it.
        var firstOfKey: [String: Int] = [:]
        for (index, type) in module.types.enumerated() {
            let key = try Self.equivalenceKey(of: type, index: index, canonical: context.canonicalTypes)
            let canonical = firstOfKey[key] ?? index
            firstOfKey[key] = canonical
            context.canonicalTypes.append(canonical)
            context.types.append(
                Signature(parameters: try context.operandTypes(type.parameters), results: try context.operandTypes(type.results)))
        }

        // Imports are checked with the items of their index space below.

        // Functions: type index of every one, imported or defined.
        for (index, typeIndex) in module.functionTypes.enumerated() {
            let offset = index < module.importedFunctionCount ? offsets.imports : offsets.functions
            try located(offset) { () throws(ModuleError) in try checkTypeIndex(typeIndex) }
        }
        context.functionTypeIndices = module.functionTypes
        context.importedFunctionCount = module.importedFunctionCount

        // Tables: element type and limits.
        for (index, table) in module.tables.enumerated() {
            let offset = index < module.importedTableCount ? offsets.imports : offsets.tables
            let elementType = try located(offset) { () throws(ModuleError) -> OperandType in
                if table.limits.shared { throw ModuleError.malformed("malformed limits flags: shared table") }
                if table.limits.isMemory64 {
                    guard features.allows(.memory64) else { throw ModuleError.unsupported(.memory64, "64-bit table") }
                    try checkLimits(table.limits, range: UInt64.max, rangeError: .tableSizeTooLarge)
                } else {
                    try checkLimits(table.limits, range: UInt64(UInt32.max), rangeError: .tableSizeTooLarge)
                }
                return try context.operandType(table.elementType)
            }
            context.tables.append(elementType)
            context.tableAddressTypes.append(table.limits.isMemory64 ? .i64 : .i32)
        }

        // Memories: address type and limits (at most 4 GiB, or 2^48 pages for a 64-bit memory),
        // and at most one memory in 2.0.
        for (index, memory) in module.memories.enumerated() {
            let offset = index < module.importedMemoryCount ? offsets.imports : offsets.memories
            let addressType = try located(offset) { () throws(ModuleError) -> OperandType in
                if memory.shared { throw ModuleError.unsupported(.threads, "shared memory") }
                if memory.isMemory64 {
                    guard features.allows(.memory64) else { throw ModuleError.unsupported(.memory64, "64-bit memory") }
                    try checkLimits(memory, range: 1 << 48, rangeError: .memory64SizeTooLarge)
                    return .i64
                }
                try checkLimits(memory, range: 65536, rangeError: .memorySizeTooLarge)
                return .i32
            }
            context.memoryAddressTypes.append(addressType)
        }
        if module.memories.count > 1, !features.allows(.multiMemory) {
            // 2.0 allows one memory; 3.0 (multi-memory) any number.
            let offset = module.importedMemoryCount > 1 ? offsets.imports : offsets.memories
            throw ModuleError.multipleMemories.at(offset)
        }

        // Globals: types (initializers are checked below, once C.refs is known).
        for (index, global) in module.globals.enumerated() {
            let offset = index < module.importedGlobalCount ? offsets.imports : offsets.globals
            let type = try located(offset) { () throws(ModuleError) in try context.operandType(global.valueType) }
            context.globals.append(.init(type: type, isMutable: global.mutability == .variable))
        }
        context.importedGlobalCount = module.importedGlobalCount

        // Tags: a function type without results, whose parameters are the payload.
        for (index, typeIndex) in module.tags.enumerated() {
            let offset = index < module.importedTagCount ? offsets.imports : offsets.tags
            let payload = try located(offset) { () throws(ModuleError) -> [OperandType] in
                guard features.allows(.exceptionHandling) else { throw ModuleError.unsupported(.exceptionHandling, "tag") }
                try checkTypeIndex(typeIndex)
                let type = context.types[Int(typeIndex)]
                guard type.results.isEmpty else { throw ModuleError.nonEmptyTagResultType }
                return type.parameters
            }
            context.tags.append(payload)
        }

        // Element segment types, data segment count: C.elems and C.datas.
        for segment in module.elements {
            context.elements.append(try located(offsets.elements) { () throws(ModuleError) in
                // A segment of function indices holds `(ref func)` in 3.0, `funcref` in 2.0.
                if segment.type == ReferenceType(isNullable: false, heapType: .funcRef),
                    !features.allows(.typedFunctionReferences)
                {
                    return .funcref
                }
                return try context.operandType(segment.type)
            })
        }
        // The data count section's, when there is one: the segments may not have arrived yet
        // (ModuleDecoder); without one, no code may name a segment.
        context.dataSegmentCount = module.dataCount.map(Int.init) ?? module.data.count
        context.hasDataCountSection = module.dataCount != nil

        collectDeclaredReferences()

        // Global initializers, under C': the imported globals (2.0), or every global before the
        // one initialized (3.0).
        for defined in module.definedIndices(GlobalSpace.self) {
            let index = module.index(of: defined).rawValue
            let visible = features.constantsReadDefinedGlobals ? index : module.importedGlobalCount
            try located(offsets.globals) { () throws(ModuleError) in
                try checkConstant(module.initializer(defined), type: context.globals[index].type, visibleGlobals: visible)
            }
        }

        // Table initializers (typed function references), which see the imported globals only:
        // a table of non-null references needs one.
        for defined in module.definedIndices(TableSpace.self) {
            let index = module.index(of: defined).rawValue
            try located(offsets.tables) { () throws(ModuleError) in
                let elementType = context.tables[index]
                if let initializer = module.tableInitializers[defined.rawValue] {
                    try checkConstant(initializer, type: elementType, visibleGlobals: module.importedGlobalCount)
                } else if !elementType.isDefaultable {
                    throw .typeMismatch(expected: "a table initializer", got: "none for a table of \(elementType)")
                }
            }
        }
        // An imported table of non-null references is one the exporter initialized.

        try located(offsets.elements) { () throws(ModuleError) in try checkElementSegments() }
        try located(offsets.data) { () throws(ModuleError) in try checkDataSegments() }
        try located(offsets.start) { () throws(ModuleError) in try checkStart() }
        try located(offsets.exports) { () throws(ModuleError) in try checkExports() }
    }

    /// What two function types share exactly when they are equivalent: their structure, with a
    /// reference to an earlier type spelled as that type's canonical index and a reference to
    /// itself as `rec` (iso-recursive equivalence of recursion groups of one type).
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/conventions.html#rolling-and-unrolling>
    static func equivalenceKey(of type: FunctionType, index: Int, canonical: [Int]) throws(ModuleError) -> String {
        func key(_ value: ValueType) throws(ModuleError) -> String {
            guard case .ref(let reference) = value else { return "\(value)" }
            let heap: String
            switch reference.heapType {
            case .abstract(let abstract): heap = "\(abstract)"
            case .concrete(let target):
                if Int(target) == index {
                    heap = "rec"
                } else {
                    guard Int(target) < index else { throw .unknownType(target) }
                    heap = "#\(canonical[Int(target)])"
                }
            }
            return "(ref \(reference.isNullable ? "null " : "")\(heap))"
        }
        var text = "func"
        for parameter in type.parameters { text += " " + (try key(parameter)) }
        text += " ->"
        for result in type.results { text += " " + (try key(result)) }
        return text
    }

    func checkTypeIndex(_ index: UInt32) throws(ModuleError) {
        guard Int(index) < context.types.count else { throw .unknownType(index) }
    }

    /// > Note: <https://webassembly.github.io/spec/core/valid/types.html#limits>
    func checkLimits(_ limits: Limits, range: UInt64, rangeError: ModuleError) throws(ModuleError) {
        guard limits.min <= range else { throw rangeError }
        if let max = limits.max {
            guard max <= range else { throw rangeError }
            guard limits.min <= max else { throw .sizeMinimumGreaterThanMaximum }
        }
    }

    /// C.refs: function indices in element segments, exports and global initializers.
    ///
    /// > Note: <https://webassembly.github.io/spec/core/valid/modules.html#valid-module>
    mutating func collectDeclaredReferences() {
        var refs = [Bool](repeating: false, count: module.functionTypes.count)
        func declare(_ expression: ConstExpression) {
            for case .refFunc(let index) in expression where Int(index) < refs.count {
                refs[Int(index)] = true
            }
        }
        module.globalInitializers.forEach(declare)
        module.tableInitializers.compactMap { $0 }.forEach(declare)
        for segment in module.elements {
            segment.initializer.forEach(declare)
        }
        for export in module.exports {
            if case .function(let index) = export.descriptor, Int(index) < refs.count {
                refs[Int(index)] = true
            }
        }
        context.declaredFunctionReferences = refs
    }

    /// > Note: <https://webassembly.github.io/spec/core/valid/modules.html#element-segments>
    func checkElementSegments() throws(ModuleError) {
        for (index, segment) in module.elements.enumerated() {
            let type = context.elements[index]
            for item in segment.initializer {
                try checkConstant(item, type: type, isElementItem: true)
            }
            if case .active(let table, let offset) = segment.mode {
                guard Int(table) < context.tables.count else { throw .unknownTable(table) }
                let tableType = context.tables[Int(table)]
                guard type.matches(tableType) else { throw .typeMismatchTableElements(table: tableType, segment: type) }
                try checkConstant(offset, type: context.tableAddressTypes[Int(table)])
            }
        }
    }

    /// > Note: <https://webassembly.github.io/spec/core/valid/modules.html#data-segments>
    func checkDataSegments() throws(ModuleError) {
        for segment in module.data {
            guard case .active(let memory, let offset) = segment.mode else { continue }
            guard Int(memory) < context.memoryCount else { throw .unknownMemory(memory) }
            try checkConstant(offset, type: context.memoryAddressTypes[Int(memory)])
        }
    }

    /// > Note: <https://webassembly.github.io/spec/core/valid/modules.html#start-function>
    func checkStart() throws(ModuleError) {
        guard let start = module.start else { return }
        guard Int(start) < context.functionCount else { throw .unknownFunction(start) }
        let signature = context.signature(ofFunction: Int(start))
        guard signature.parameters.isEmpty, signature.results.isEmpty else {
            throw .startFunction(module.types[Int(context.functionTypeIndices[Int(start)])])
        }
    }

    /// > Note: <https://webassembly.github.io/spec/core/valid/modules.html#exports>
    func checkExports() throws(ModuleError) {
        // Names are compared as code point sequences: Swift's `String` equality would merge
        // canonically equivalent names ("\u{C5}" and "A\u{30A}"), which are distinct in Wasm.
        var names = Set<[UInt8]>()
        for export in module.exports {
            guard names.insert(Array(export.name.utf8)).inserted else { throw .duplicateExportName(export.name) }
            switch export.descriptor {
            case .function(let index):
                guard Int(index) < context.functionCount else { throw .unknownFunction(index) }
            case .table(let index):
                guard Int(index) < context.tables.count else { throw .unknownTable(index) }
            case .memory(let index):
                guard Int(index) < context.memoryCount else { throw .unknownMemory(index) }
            case .global(let index):
                guard Int(index) < context.globals.count else { throw .unknownGlobal(index) }
            case .tag(let index):
                guard Int(index) < context.tags.count else { throw .unknownTag(index) }
            }
        }
    }
}

/// Runs `body`, pointing any error it throws that has no location yet at `offset` (a section's
/// offset; 0 when the section is absent).
private func located<T>(_ offset: Int, _ body: () throws(ModuleError) -> T) throws(ModuleError) -> T {
    do {
        return try body()
    } catch {
        throw error.at(offset == 0 ? nil : offset)
    }
}
