import WasmKit
import WasmcRuntime

/// An instantiated module: its memories, tables and globals, and callable exports.
public final class Instance: @unchecked Sendable {
    /// The runtime's instance; nil for an interpreted one.
    let raw: OpaquePointer?
    /// The interpreter's instance of an interpreted module.
    let interpreted: WasmKit.Instance?
    public let module: CompiledModule
    public let store: Store
    /// Objects the instance imports, kept alive as long as it lives.
    private let imported: [Extern]

    /// Instantiates with one `Extern` per import, in the module's import order.
    public init(module: CompiledModule, store: Store, imports: [Extern]) throws(WasmcError) {
        let expected = module.imports
        guard imports.count == expected.count else {
            throw WasmcError(.link, "expected \(expected.count) imports, got \(imports.count)")
        }
        var externs: [wasmc_extern] = []
        for (entry, provided) in zip(expected, imports) {
            guard provided.kind == entry.kind else {
                throw WasmcError(.link, "incompatible import type for \"\(entry.module)\".\"\(entry.name)\": expected a \(entry.kind), got a \(provided.kind)")
            }
            var value = wasmc_extern()
            value.kind = provided.kind.rawValue
            switch provided {
            case .function(let function):
                if let host = function.host {
                    value.of.host = host
                    value.is_host = 1
                } else {
                    value.of.func = function.funcRef
                }
            case .table(let table): value.of.table = table.raw
            case .memory(let memory): value.of.memory = memory.raw
            case .global(let global): value.of.global = global.raw
            case .tag(let tag): value.of.tag = tag.raw
            }
            externs.append(value)
        }
        if module.isInterpreted {
            self.interpreted = try Self.interpreted(module: module, store: store, imports: imports)
            self.raw = nil
            self.module = module
            self.store = store
            self.imported = imports
            return
        }
        var error = wasmc_error()
        guard let raw = wasmc_instantiate(store.raw, module.raw, externs, UInt32(externs.count), &error) else {
            if error.kind == WASMC_ERROR_EXCEPTION {
                throw WasmcError(.exception(WasmException(uncaughtIn: store)), "instantiation threw an exception")
            }
            throw WasmcError(error)
        }
        self.raw = raw
        self.interpreted = nil
        self.module = module
        self.store = store
        self.imported = imports
    }

    /// Instantiates, asking `resolve` for each import by module and name.
    public convenience init(module: CompiledModule, store: Store, resolve: (CompiledModule.Import) -> Extern?) throws(WasmcError) {
        var imports: [Extern] = []
        for entry in module.imports {
            guard let provided = resolve(entry) else {
                throw WasmcError(.link, "unknown import \"\(entry.module)\".\"\(entry.name)\"")
            }
            imports.append(provided)
        }
        try self.init(module: module, store: store, imports: imports)
    }

    deinit { if let raw { wasmc_instance_delete(raw) } }

    /// The export named `name`, if any. An interpreted instance exports functions, memories and
    /// globals to the host (not yet tables and tags).
    public func export(_ name: String) -> Extern? {
        if let interpreted {
            guard let entry = module.exports.first(where: { $0.name == name }) else { return nil }
            switch interpreted.export(name) {
            case .function(let function)?:
                return .function(Function(interpreted: function, type: module.entity(.function, entry.index).functionType!, owner: self))
            case .memory(let memory)?: return .memory(Memory(interpreted: memory, owner: self))
            case .global(let global)?: return .global(Global(interpreted: global, kind: module.entity(.global, entry.index), owner: self))
            case .table(let table)?:
                return (try? Table(interpreted: table, type: module.entity(.table, entry.index), owner: self)).map(Extern.table)
            default: return nil
            }
        }
        guard let raw else { return nil }
        var value = wasmc_extern()
        let utf8 = Array(name.utf8)
        // Never a null pointer, even for the empty name.
        let found = (utf8 + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { wasmc_instance_export_bytes(raw, $0.baseAddress!, utf8.count, &value) }
        }
        guard found != 0 else { return nil }
        switch ExternKind(rawValue: value.kind)! {
        case .function:
            let funcRef = value.of.func!
            return .function(Function(funcRef: funcRef, type: functionType(of: funcRef), store: store, owner: self))
        case .table: return .table(Table(raw: value.of.table, owner: self))
        case .memory: return .memory(Memory(raw: value.of.memory, owner: self))
        case .global: return .global(Global(raw: value.of.global, owner: self))
        case .tag: return .tag(Tag(raw: value.of.tag, owner: self))
        }
    }

    public func function(_ name: String) -> Function? {
        if case .function(let function) = export(name) { return function }
        return nil
    }

    public func memory(_ name: String) -> Memory? {
        if case .memory(let memory) = export(name) { return memory }
        return nil
    }

    public func global(_ name: String) -> Global? {
        if case .global(let global) = export(name) { return global }
        return nil
    }

    public func tag(_ name: String) -> Tag? {
        if case .tag(let tag) = export(name) { return tag }
        return nil
    }

    /// The name `tag` is exported under from this instance (or imported as, "module.name"), if
    /// it is one of the instance's tags: for messages about an uncaught exception.
    public func name(of tag: Tag) -> String? {
        guard let raw else { return nil }
        for export in module.exports where export.kind == .tag {
            if wasmc_instance_tag(raw, UInt32(export.index)) == tag.raw { return export.name }
        }
        var tagIndex: UInt32 = 0
        for entry in module.imports where entry.kind == .tag {
            if wasmc_instance_tag(raw, tagIndex) == tag.raw { return "\(entry.module).\(entry.name)" }
            tagIndex += 1
        }
        return nil
    }

    /// Calls the exported function `name`.
    public func call(_ name: String, _ arguments: [Value]) throws -> [Value] {
        guard let function = function(name) else {
            throw WasmcError(.link, "no exported function named \"\(name)\"")
        }
        return try function.call(arguments)
    }

    /// The module's type whose canonical signature id is the funcref's.
    private func functionType(of funcRef: UnsafePointer<wasmc_funcref>) -> CompiledModule.FunctionType {
        let index = wasmc_module_type_of_signature(module.raw, funcRef.pointee.type_id)
        precondition(index >= 0, "a function exported by the module has one of the module's types")
        return module.type(Int(index))
    }
}
