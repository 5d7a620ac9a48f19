// run-artifact ARTIFACT.so [EXPORT [INTEGER...]]: loads a .so that `wasmc compile` wrote and
// calls EXPORT with integer arguments (i32 or i64, as its parameters are), printing its results;
// without EXPORT, runs the WASI program in it. Then reports whether any LLVM library is mapped into the process (it must not be).
import FoundationEssentials  // Foundation would load ICU: 2 ms and 4 MB more at start-up
import Glibc
import Wasmc

/// Writes a line to standard error.
func complain(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let path = arguments.first else {
    complain("usage: run-artifact ARTIFACT.so [EXPORT [INTEGER...]]")
    exit(2)
}

/// Whether a library whose file name contains "LLVM" is mapped into this process.
func llvmMapped() -> Bool {
    let maps = (try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? ""
    return maps.split(separator: "\n").contains { $0.split(separator: "/").last?.contains("LLVM") == true }
}

do {
    let module = try CompiledModule(path: path)
    if arguments.count > 1 {
        let instance = try Instance(module: module, store: Store()) { _ in nil }
        guard let function = instance.function(arguments[1]) else { throw WasmcError(.link, "no exported function \(arguments[1])") }
        let values = try function.call(zip(function.type.parameters, arguments.dropFirst(2)).map { kind, text -> Value in
            kind == .i64 ? .i64(Int64(text) ?? 0) : .i32(Int32(truncatingIfNeeded: Int64(text) ?? 0))
        })
        print(values.map(\.description).joined(separator: " "))
    } else {
        let wasi = try WASI(WASI.Configuration(arguments: [path.split(separator: "/").last.map(String.init) ?? path]))
        let instance = try Instance(module: module, store: Store(), wasi: wasi)
        let status = try wasi.run(instance)
        if status != 0 { exit(status) }
    }
} catch {
    complain("run-artifact: \(error)")
    exit(1)
}
print("LLVM mapped: \(llvmMapped() ? "yes" : "no")")
