import WasmParser
import WasmTypes

/// Why modules could not be linked (`ModuleLinker`): one line naming the modules and the item.
public struct LinkError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Links modules at compile time (`wasmc compile main.wasm --link NAME=dep.wasm`): the imports
/// of the main module, and of the linked modules, whose module name is a linked module's NAME
/// are bound to that module's exports, and the whole becomes one module whose imports are the
/// ones nobody provides (merged where several modules import the same thing) and whose exports
/// are the main module's.
///
/// Each module keeps its own memories, tables, globals, tags and segments: they get index
/// ranges of their own in the linked module, and a module that imports another's gets exactly
/// that item. A call to a bound function import is an ordinary call of the linked module, which
/// the optimizer may inline. The code of each module keeps its own indices (`IndexMap`, which
/// codegen applies); instantiation initializes the modules in dependency order, each one's
/// start function run before the next (`ModuleInfo.initialization`).
///
/// The linked index spaces hold the merged imports first, then the main module's items, then
/// the linked modules' in the order given. Data segments arrive after the code (`addData`).
public struct ModuleLinker: Sendable {
    /// A module to link: the main one, or one bound to the imports from `name`.
    public struct Part: Sendable {
        /// What error messages call it: the main module's file name, a linked module's NAME.
        public var name: String
        public var module: ModuleInfo
        /// How many data segments it has (its data section's count, which arrives with its
        /// code; `ModuleDecoder.peekDataCount`).
        public var dataCount: Int

        public init(name: String, module: ModuleInfo, dataCount: Int) {
            self.name = name
            self.module = module
            self.dataCount = dataCount
        }
    }

    /// The linked module: all but the data segments until `addData` adds them.
    public private(set) var module = ModuleInfo()
    /// The parts linked: the main module first, then the linked modules that something imports
    /// from, as given.
    public private(set) var parts: [Part]
    /// How each part's indices map onto the linked module's.
    public private(set) var maps: [IndexMap]
    /// The parts in the order they are instantiated: each after those it imports from, the
    /// main module last.
    public private(set) var instantiationOrder: [Int]
    /// What deserves a word but does not stop the link: a linked module nothing imports from.
    public private(set) var warnings: [String] = []

    /// Links `dependencies` (NAME and module) into `main`. Throws when an import bound to a
    /// linked module names an export it lacks or of another type, when modules import from each
    /// other in a cycle, when two linked modules share a name, or when two modules import the
    /// same thing with different types.
    public init(main: Part, dependencies: [Part]) throws(LinkError) {
        var names = Set<[UInt8]>()
        for dependency in dependencies {
            guard !dependency.name.isEmpty else { throw LinkError("--link: a linked module needs a name (NAME=FILE)") }
            guard names.insert(dependency.name.bytes).inserted else {
                throw LinkError("--link \(dependency.name): two linked modules are called \(dependency.name)")
            }
        }
        // Only the linked modules something imports from, directly or not, take part.
        var used = Set<[UInt8]>()
        var pending = [main]
        while let part = pending.popLast() {
            for entry in part.module.imports where names.contains(entry.module.bytes) && used.insert(entry.module.bytes).inserted {
                pending.append(dependencies.first { $0.name.bytes == entry.module.bytes }!)
            }
        }
        for dependency in dependencies where !used.contains(dependency.name.bytes) {
            warnings.append("--link \(dependency.name): nothing imports from \(dependency.name); it is left out")
        }
        parts = [main] + dependencies.filter { used.contains($0.name.bytes) }
        maps = Array(repeating: IndexMap(), count: parts.count)
        instantiationOrder = try Self.order(parts)
        try link()
    }

    /// The parts in dependency order (depth first from the main module); a cycle is an error.
    private static func order(_ parts: [Part]) throws(LinkError) -> [Int] {
        let index = Dictionary(uniqueKeysWithValues: parts.enumerated().dropFirst().map { ($1.name.bytes, $0) })
        var order: [Int] = []
        var state = Array(repeating: 0, count: parts.count)  // 0 new, 1 on the path, 2 done
        func visit(_ part: Int, path: [Int]) throws(LinkError) {
            if state[part] == 2 { return }
            if state[part] == 1 {
                let cycle = (path.drop { $0 != part } + [part]).map { parts[$0].name }
                throw LinkError("the linked modules import from each other in a cycle: \(cycle.joined(separator: " → "))")
            }
            state[part] = 1
            var seen = Set<Int>()
            for entry in parts[part].module.imports {
                if let target = index[entry.module.bytes], seen.insert(target).inserted { try visit(target, path: path + [part]) }
            }
            state[part] = 2
            order.append(part)
        }
        try visit(0, path: [])
        return order
    }

    private func isBound(_ entry: Import) -> Bool {
        parts.dropFirst().contains { $0.name.bytes == entry.module.bytes }
    }

    /// Builds `module` and `maps`.
    private mutating func link() throws(LinkError) {
        var linked = ModuleInfo()
        // Types: every part's, in turn.
        var typeBase: UInt32 = 0
        for (p, part) in parts.enumerated() {
            maps[p].types = (0..<UInt32(part.module.types.count)).map { typeBase + $0 }
            typeBase += UInt32(part.module.types.count)
        }
        for (p, part) in parts.enumerated() {
            linked.types += part.module.types.map { maps[p].map($0) }
        }
        // The imports nobody provides, merged, first in each index space.
        var external: [[UInt8]: (index: Int, descriptor: ImportDescriptor, part: Int)] = [:]
        var importIndex: [[UInt32]] = parts.map { _ in [] }  // by part and import: the index in its space
        var counts = [0, 0, 0, 0, 0]  // function, table, memory, global, tag
        for (p, part) in parts.enumerated() {
            for entry in part.module.imports {
                guard !isBound(entry) else {
                    importIndex[p].append(UInt32.max)
                    continue
                }
                let descriptor = maps[p].map(entry.descriptor)
                let key = entry.module.bytes + [0] + entry.name.bytes
                if let earlier = external[key] {
                    guard try sameKind(earlier.descriptor, descriptor, linked.types) else {
                        throw LinkError(
                            "\(parts[earlier.part].name) imports \(entry.module).\(entry.name) as \(describe(earlier.descriptor, linked.types)), "
                                + "\(part.name) imports it as \(describe(descriptor, linked.types))")
                    }
                    importIndex[p].append(UInt32(earlier.index))
                    continue
                }
                let kind = Self.kind(descriptor)
                external[key] = (counts[kind], descriptor, p)
                importIndex[p].append(UInt32(counts[kind]))
                counts[kind] += 1
                linked.addImport(Import(module: entry.module, name: entry.name, descriptor: descriptor))
            }
        }
        // Each part's defined items, in turn; then its imports bound to another part's exports
        // (that part's items mapped already: dependency order). Instantiation initializes each
        // part's ranges in turn.
        var steps: [ModuleInfo.InitializationStep] = []
        for (p, part) in parts.enumerated() {
            let m = part.module
            let globals = linked.globals.count - linked.importedGlobalCount, tables = linked.tables.count - linked.importedTableCount
            let data = parts[..<p].reduce(0) { $0 + $1.dataCount }
            steps.append(ModuleInfo.InitializationStep(
                globals: globals..<globals + m.globals.count - m.importedGlobalCount,
                tables: tables..<tables + m.tables.count - m.importedTableCount,
                elements: linked.elements.count..<linked.elements.count + m.elements.count,
                data: data..<data + part.dataCount,
                start: nil))
            func defined(_ base: Int, _ count: Int) -> [UInt32] { (0..<count).map { UInt32(base + $0) } }
            maps[p].functions = Array(repeating: 0, count: m.importedFunctionCount)
                + defined(linked.functionTypes.count, m.functionTypes.count - m.importedFunctionCount)
            maps[p].tables = Array(repeating: 0, count: m.importedTableCount) + defined(linked.tables.count, m.tables.count - m.importedTableCount)
            maps[p].memories = Array(repeating: 0, count: m.importedMemoryCount)
                + defined(linked.memories.count, m.memories.count - m.importedMemoryCount)
            maps[p].globals = Array(repeating: 0, count: m.importedGlobalCount)
                + defined(linked.globals.count, m.globals.count - m.importedGlobalCount)
            maps[p].tags = Array(repeating: 0, count: m.importedTagCount) + defined(linked.tags.count, m.tags.count - m.importedTagCount)
            maps[p].elements = defined(linked.elements.count, m.elements.count)
            maps[p].firstData = UInt32(data)
            linked.functionTypes += m.functionTypes[m.importedFunctionCount...].map { maps[p].types[Int($0)] }
            linked.tables += m.tables[m.importedTableCount...].map { TableType(elementType: maps[p].map($0.elementType), limits: $0.limits) }
            linked.memories += m.memories[m.importedMemoryCount...]
            linked.globals += m.globals[m.importedGlobalCount...].map { GlobalType(mutability: $0.mutability, valueType: maps[p].map($0.valueType)) }
            linked.tags += m.tags[m.importedTagCount...].map { maps[p].types[Int($0)] }
            linked.elements += m.elements.map { _ in ElementSegment(type: .funcRef, initializer: [], mode: .passive) }  // below
        }
        // The imports: external ones as merged, bound ones as the exporter's item.
        for p in instantiationOrder {
            var next = [0, 0, 0, 0, 0]
            for (i, entry) in parts[p].module.imports.enumerated() {
                let kind = Self.kind(entry.descriptor)
                let position = next[kind]
                next[kind] += 1
                let index: UInt32
                if isBound(entry) {
                    index = try bind(entry, of: p, types: linked.types, linked: linked)
                } else {
                    index = importIndex[p][i]
                }
                switch kind {
                case 0: maps[p].functions[position] = index
                case 1: maps[p].tables[position] = index
                case 2: maps[p].memories[position] = index
                case 3: maps[p].globals[position] = index
                default: maps[p].tags[position] = index
                }
            }
        }
        // What refers to indices, mapped.
        for (p, part) in parts.enumerated() {
            let m = part.module
            let map = maps[p]
            linked.tableInitializers += m.tableInitializers.map { $0.map { map.map($0) } }
            linked.globalInitializers += m.globalInitializers.map { map.map($0) }
            for (i, segment) in m.elements.enumerated() {
                let mode: ElementSegment.Mode
                switch segment.mode {
                case .active(let table, let offset): mode = .active(table: map.tables[Int(table)], offset: map.map(offset))
                case .passive: mode = .passive
                case .declarative: mode = .declarative
                }
                linked.elements[Int(map.elements[i])] = ElementSegment(
                    type: map.map(segment.type), initializer: segment.initializer.map { map.map($0) }, mode: mode)
            }
            let first = linked.codes.count
            linked.codes += m.codes
            linked.linkedCode.append((first..<linked.codes.count, map))
            // The main module's functions keep their names; a linked module's are its NAME and
            // theirs, or their index in it.
            for function in m.importedFunctionCount..<m.functionTypes.count {
                let name = m.functionNames[FunctionIndex(function)]
                if p == 0 && name == nil { continue }
                linked.functionNames[FunctionIndex(map.functions[function])] = p == 0 ? name! : "\(part.name).\(name ?? "f\(function)")"
            }
            for entry in m.imports where p > 0 && entry.module.bytes == Array("wasi_snapshot_preview1".utf8) {
                // WASI reads and writes the memory the main module exports as "memory".
                if !m.memories.isEmpty, map.memories.first != maps[0].memories.first {
                    throw LinkError(
                        "\(part.name) imports \(entry.module).\(entry.name), but WASI works on the main module's memory, "
                            + "not \(part.name)'s: a linked module may use WASI only with the main module's memory")
                }
            }
        }
        linked.declaredFunctionCount = linked.codes.count
        linked.exports = parts[0].module.exports.map { Export(name: $0.name, descriptor: maps[0].map($0.descriptor)) }
        linked.start = parts[0].module.start.map { maps[0].functions[Int($0)] }
        let dataCount = parts.reduce(0) { $0 + $1.dataCount }
        linked.dataCount = dataCount > 0 || parts.contains { $0.module.dataCount != nil } ? UInt32(dataCount) : nil
        linked.sectionOffsets = parts[0].module.sectionOffsets
        // Instantiation, module by module; the main module's start is the linked module's (the
        // runtime runs it), the others' are run in their steps.
        linked.initialization = instantiationOrder.map { p in
            var step = steps[p]
            step.start = p == 0 ? nil : parts[p].module.start.map { maps[p].functions[Int($0)] }
            return step
        }
        module = linked
    }

    /// The index in the linked module of what `entry` (an import of part `p` from a linked
    /// module) is bound to, checked against the import's type.
    private func bind(_ entry: Import, of p: Int, types: [FunctionType], linked: ModuleInfo) throws(LinkError) -> UInt32 {
        let e = parts.firstIndex { $0.name.bytes == entry.module.bytes }!
        let importer = parts[p].name
        guard let export = parts[e].module.exports.first(where: { $0.name.bytes == entry.name.bytes }) else {
            throw LinkError("\(importer) imports \(entry.module).\(entry.name), which \(entry.module) does not export")
        }
        let wanted = maps[p].map(entry.descriptor)
        let mapped = maps[e].map(export.descriptor)
        func mismatch(_ given: String) -> LinkError {
            LinkError("\(importer) imports \(entry.module).\(entry.name) as \(describe(wanted, types)), \(entry.module) exports \(given)")
        }
        switch (wanted, mapped) {
        case (.function(let type), .function(let function)):
            let given = linked.functionTypes[Int(function)]
            guard key(type, types) == key(given, types) else { throw mismatch(describe(.function(given), types)) }
            return function
        case (.table(let type), .table(let table)):
            let given = linked.tables[Int(table)]
            guard key(.ref(type.elementType), types) == key(.ref(given.elementType), types), fits(given.limits, type.limits) else {
                throw mismatch(describe(.table(given), types))
            }
            return table
        case (.memory(let type), .memory(let memory)):
            let given = linked.memories[Int(memory)]
            guard fits(given, type) else { throw mismatch(describe(.memory(given), types)) }
            return memory
        case (.global(let type), .global(let global)):
            let given = linked.globals[Int(global)]
            // A constant global may be imported as a supertype of its type (spec: import
            // matching); a mutable one only as its own type, since both sides write it.
            let fitting = given.mutability == .constant
                ? matches(given.valueType, type.valueType, types) : key(given.valueType, types) == key(type.valueType, types)
            guard given.mutability == type.mutability, fitting else {
                throw mismatch(describe(.global(given), types))
            }
            return global
        case (.tag(let type), .tag(let tag)):
            let given = linked.tags[Int(tag)]
            guard key(type, types) == key(given, types) else { throw mismatch(describe(.tag(given), types)) }
            return tag
        default:
            throw mismatch("a \(Self.kindName(mapped)) of that name")
        }
    }

    /// Whether an item of limits `given` can be imported as `wanted` (spec: import subtyping).
    private func fits(_ given: Limits, _ wanted: Limits) -> Bool {
        guard given.min >= wanted.min, given.isMemory64 == wanted.isMemory64, given.shared == wanted.shared else { return false }
        guard let wantedMax = wanted.max else { return true }
        return given.max.map { $0 <= wantedMax } ?? false
    }

    /// Adds part `part`'s data segments (once its data section has arrived), mapped.
    public mutating func addData(_ segments: [ModuleInfo.DataSegment], of part: Int) {
        precondition(segments.count == parts[part].dataCount, "the data count of \(parts[part].name)")
        precondition(Int(maps[part].firstData) == module.data.count, "data segments added in part order")
        let map = maps[part]
        module.data += segments.map { segment in
            switch segment.mode {
            case .passive: return segment
            case .active(let memory, let offset):
                return ModuleInfo.DataSegment(mode: .active(memory: map.memories[Int(memory)], offset: map.map(offset)), length: segment.length)
            }
        }
    }

    /// Adds the function names of part `part` that its name section, arriving after its data,
    /// gives.
    public mutating func addNames(_ names: [FunctionIndex: String], of part: Int) {
        let m = parts[part].module
        for (function, name) in names where Int(function) >= m.importedFunctionCount {
            module.functionNames[FunctionIndex(maps[part].functions[Int(function)])] = part == 0 ? name : "\(parts[part].name).\(name)"
        }
    }

    // MARK: Types

    private static func kind(_ descriptor: ImportDescriptor) -> Int {
        switch descriptor {
        case .function: return 0
        case .table: return 1
        case .memory: return 2
        case .global: return 3
        case .tag: return 4
        }
    }

    private static func kindName(_ descriptor: ExportDescriptor) -> String {
        switch descriptor {
        case .function: return "function"
        case .table: return "table"
        case .memory: return "memory"
        case .global: return "global"
        case .tag: return "tag"
        }
    }

    /// Whether two imports of one name can be one import: the same kind and type.
    private func sameKind(_ a: ImportDescriptor, _ b: ImportDescriptor, _ types: [FunctionType]) throws(LinkError) -> Bool {
        switch (a, b) {
        case (.function(let x), .function(let y)), (.tag(let x), .tag(let y)): return key(x, types) == key(y, types)
        case (.table(let x), .table(let y)): return key(.ref(x.elementType), types) == key(.ref(y.elementType), types) && x.limits == y.limits
        case (.memory(let x), .memory(let y)): return x == y
        case (.global(let x), .global(let y)): return x.mutability == y.mutability && key(x.valueType, types) == key(y.valueType, types)
        default: return false
        }
    }

    /// A function type's structure, with the types it refers to spelled out (a reference to
    /// itself as `rec`): equal for types that are equivalent, in whichever module.
    private func key(_ type: UInt32, _ types: [FunctionType], seen: [UInt32] = []) -> String {
        if seen.contains(type) { return "rec" }
        let function = types[Int(type)]
        let inner = seen + [type]
        return "(" + function.parameters.map { key($0, types, seen: inner) }.joined(separator: " ") + ")->("
            + function.results.map { key($0, types, seen: inner) }.joined(separator: " ") + ")"
    }

    /// Whether a value of type `given` may stand where `wanted` is expected: the same type, or a
    /// reference type below it (non-null for nullable, a function type for `func`, a bottom
    /// type for its hierarchy). Function types have no declared supertypes without GC.
    private func matches(_ given: ValueType, _ wanted: ValueType, _ types: [FunctionType]) -> Bool {
        if key(given, types) == key(wanted, types) { return true }
        guard case .ref(let a) = given, case .ref(let b) = wanted, !a.isNullable || b.isNullable else { return false }
        switch (a.heapType, b.heapType) {
        case (.concrete(let x), .concrete(let y)): return key(x, types) == key(y, types)
        case (.concrete, .abstract(.funcRef)), (.abstract(.noFunc), .abstract(.funcRef)), (.abstract(.noFunc), .concrete),
            (.abstract(.noExtern), .abstract(.externRef)), (.abstract(.noExn), .abstract(.exnRef)):
            return true
        case (.abstract(let x), .abstract(let y)): return x == y
        default: return false
        }
    }

    private func key(_ type: ValueType, _ types: [FunctionType], seen: [UInt32] = []) -> String {
        guard case .ref(let reference) = type else { return "\(type)" }
        let heap: String
        switch reference.heapType {
        case .abstract(let abstract): heap = "\(abstract)"
        case .concrete(let index): heap = key(index, types, seen: seen)
        }
        return "(ref \(reference.isNullable ? "null " : "")\(heap))"
    }

    /// An import's or export's type as error messages show it: "(i32, f32)->i64".
    private func describe(_ descriptor: ImportDescriptor, _ types: [FunctionType]) -> String {
        func value(_ type: ValueType) -> String {
            switch type {
            case .i32: return "i32"
            case .i64: return "i64"
            case .f32: return "f32"
            case .f64: return "f64"
            case .v128: return "v128"
            case .ref(let reference):
                if reference == .funcRef { return "funcref" }
                if reference == .externRef { return "externref" }
                return key(type, types)
            }
        }
        func function(_ index: UInt32) -> String {
            let type = types[Int(index)]
            let results = type.results.map(value)
            return "(" + type.parameters.map(value).joined(separator: ", ") + ")->"
                + (results.count == 1 ? results[0] : "(" + results.joined(separator: ", ") + ")")
        }
        func limits(_ limits: Limits) -> String {
            "\(limits.isMemory64 ? "i64 " : "")\(limits.min)\(limits.max.map { "..\($0)" } ?? "..")\(limits.shared ? " shared" : "")"
        }
        switch descriptor {
        case .function(let type): return function(type)
        case .table(let type): return "a table of \(value(.ref(type.elementType))) \(limits(type.limits))"
        case .memory(let type): return "a memory of \(limits(type)) pages"
        case .global(let type): return "a \(type.mutability == .variable ? "mutable" : "constant") global of \(value(type.valueType))"
        case .tag(let type): return "a tag \(function(type))"
        }
    }

}

extension String {
    /// The UTF-8 bytes: wasm compares names byte by byte, where Swift's `==` would take canonically
    /// equivalent strings ("\u{C5}", "A\u{30A}") for one.
    fileprivate var bytes: [UInt8] { Array(utf8) }
}
