import Wasmc

/// The `spectest` host module the scripts import (../shared/spec/README.md): print functions that
/// return nothing, four immutable globals, a table of 10 funcrefs (max 20) and a memory of 1 page
/// (max 2). One per script, shared by its modules.
final class SpectestModule {
    let exports: [String: Extern]

    init() throws {
        func printer(_ params: [ValueKind]) -> Extern {
            .function(Function(type: .init(parameters: params, results: [])) { _ in [] })
        }
        exports = [
            "print": printer([]),
            "print_i32": printer([.i32]),
            "print_i64": printer([.i64]),
            "print_f32": printer([.f32]),
            "print_f64": printer([.f64]),
            "print_i32_f32": printer([.i32, .f32]),
            "print_f64_f64": printer([.f64, .f64]),
            "global_i32": .global(Global(value: .i32(666), mutable: false)),
            "global_i64": .global(Global(value: .i64(666), mutable: false)),
            "global_f32": .global(Global(value: .f32(666.6), mutable: false)),
            "global_f64": .global(Global(value: .f64(666.6), mutable: false)),
            "table": .table(try Table(kind: .funcref, min: 10, max: 20)),
            // WebAssembly 3.0's spectest also has a 64-bit table (memory64).
            "table64": .table(try Table(kind: .funcref, min: 10, max: 20, is64: true)),
            "memory": .memory(try Memory(minPages: 1, maxPages: 2)),
        ]
    }

    func export(_ name: String) -> Extern? { exports[name] }
}
