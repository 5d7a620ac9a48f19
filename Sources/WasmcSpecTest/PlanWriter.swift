import Foundation
import Wasmc
import WasmcBackend
import WasmcModule

/// Runs a script's commands on another architecture: compiles each module for the target into a
/// folder, writes the commands into a plan file there, and, at the end, runs the C driver
/// (Tests/cross/spec_driver.c, e.g. under qemu-user) on it. The driver reports one line per
/// command; if it dies, the commands it did not report count as failed. With `links`, the
/// registered modules an importer imports from are linked into it at compile time.
///
/// The plan is text, one command per line, space-separated fields; strings (names, ids,
/// messages) are `x` followed by the hex of their UTF-8 bytes, `-` when absent:
///
///     module LINE CATEGORY ID FILE.so ok|trap MSG|link MSG
///     register LINE NAME ID
///     invoke LINE CATEGORY ID NAME NARGS ARG... any|trap MSG|results N EXPECTED...
///     get LINE CATEGORY ID NAME any|trap MSG|results N EXPECTED...
///
/// ARG: i32:HEX, i64:HEX, f32:HEX, f64:HEX (bit patterns), v128:HEX32 (bytes in memory order),
/// funcref:null, externref:null, externref:N (the script's `ref.extern N`).
/// EXPECTED: bits:KIND:LANEBYTES:LANE,... with LANE a hex bit pattern, canon or arith; null;
/// func (non-null funcref); extern or extern:N; either:N followed by N expectations.
final class PlanWriter: SpecEngine {
    let options: CompileOptions
    let driver: [String]
    let folder: String
    var links: CompileTimeLinks?
    private var plan = ""
    private var moduleCount = 0
    /// The categories of the commands sent to the driver, in order.
    private var queued: [(category: Category, line: Int)] = []

    init(options: CompileOptions, driver: [String], linkRegistered: Bool = false) throws {
        self.options = options
        self.driver = driver
        if linkRegistered { links = CompileTimeLinks(features: options.features) }
        let template = NSTemporaryDirectory() + "wasmc-spec-plan.XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw WasmcError(.resource, "cannot create a folder from \(template)")
        }
        folder = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func run(_ command: SpecCommand, line: Int, into result: inout FileResult) {
        switch command {
        case .instantiate(let wasm, let id, let category, let expect):
            let file = "\(folder)/m\(moduleCount).so"
            moduleCount += 1
            do {
                let linking = (links?.links(for: wasm) ?? []).map { Compiler.LinkInput(name: $0.name, input: ModuleInput(bytes: $0.wasm)) }
                try Compiler(options: options).compile(ModuleInput(bytes: wasm), linking: linking, to: file)
            } catch {
                if case .link = error, case .linkError = expect {
                    result.record(category, true, line, "")  // unlinkable when compiled, as at run time
                } else {
                    result.record(category, false, line, "compiling for \(options.target?.triple ?? "the host"): \(error)")
                }
                return
            }
            // The driver reports a failed instantiation; a module expected to fail is not
            // registered by the scripts.
            if case .success = expect { links?.instantiated(wasm, id: id) }
            let outcome: String
            switch expect {
            case .success: outcome = "ok"
            case .trap(let message): outcome = "trap \(Self.string(message))"
            case .linkError(let message): outcome = "link \(Self.string(message))"
            }
            add("module \(line) \(category.rawValue) \(Self.string(id)) \(file) \(outcome)", category, line)
        case .register(let name, let module):
            links?.register(name, module: module)
            add("register \(line) x\(Self.hex(name)) \(Self.string(module))", .register, line)
        case .perform(let action, let category, let expect):
            let outcome: String
            switch expect {
            case .exception: outcome = "exception"
            case .anyResults: outcome = "any"
            case .trap(let message): outcome = "trap \(Self.string(message))"
            case .results(let values): outcome = (["results", String(values.count)] + values.map(Self.expectation)).joined(separator: " ")
            }
            switch action {
            case .invoke(let module, let name, let arguments):
                let fields = ["invoke", String(line), category.rawValue, Self.string(module), Self.string(name), String(arguments.count)]
                    + arguments.map(Self.argument) + [outcome]
                add(fields.joined(separator: " "), category, line)
            case .get(let module, let name):
                add("get \(line) \(category.rawValue) \(Self.string(module)) \(Self.string(name)) \(outcome)", category, line)
            }
        }
    }

    private func add(_ text: String, _ category: Category, _ line: Int) {
        plan += text + "\n"
        queued.append((category, line))
    }

    func finish(into result: inout FileResult) {
        guard !queued.isEmpty else { return }
        let planPath = "\(folder)/plan.txt"
        // Every queued command counts as failed when the driver cannot run at all.
        func failAll(_ why: String) {
            for (category, line) in queued { result.record(category, false, line, why) }
        }
        do {
            try plan.write(toFile: planPath, atomically: false, encoding: .utf8)
        } catch {
            failAll("cannot write \(planPath): \(error)")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.which(driver[0]))
        process.arguments = Array(driver.dropFirst()) + [planPath]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            failAll("cannot start the driver \(driver.joined(separator: " ")): \(error)")
            return
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var reported = 0
        var done = false
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
            if fields == ["done"] {
                done = true
                continue
            }
            guard fields.count >= 2, let category = Category(rawValue: fields[1]) else {
                result.record(.module, false, 0, "the driver printed an unexpected line: \(line)")
                continue
            }
            reported += 1
            if fields[0] == "ok" {
                result.record(category, true, 0, "")
            } else {
                let at = fields.count > 2 ? Int(fields[2]) ?? 0 : 0
                result.record(category, false, at, fields.count > 3 ? fields[3] : "failed")
            }
        }
        if !done || reported != queued.count {
            let how = process.terminationReason == .uncaughtSignal
                ? "signal \(process.terminationStatus)" : "status \(process.terminationStatus)"
            for (category, line) in queued.dropFirst(reported) {
                result.record(category, false, line, "not run: the driver ended (\(how)) after \(reported) of \(queued.count) commands")
            }
        }
    }

    /// `name` looked up in PATH unless it has a slash.
    static func which(_ name: String) -> String {
        if name.contains("/") { return name }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return name
    }

    // MARK: Encoding

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    static func string(_ text: String?) -> String {
        text.map { "x" + hex($0.utf8) } ?? "-"
    }

    static func argument(_ value: Wasmc.Value) -> String {
        switch value {
        case .i32(let v): return "i32:" + String(UInt32(bitPattern: v), radix: 16)
        case .i64(let v): return "i64:" + String(UInt64(bitPattern: v), radix: 16)
        case .f32(let v): return "f32:" + String(v.bitPattern, radix: 16)
        case .f64(let v): return "f64:" + String(v.bitPattern, radix: 16)
        case .v128(let v): return "v128:" + hex(v.bytes)
        case .funcref: return "funcref:null"  // the scripts pass no non-null funcrefs
        case .externref(let e): return "externref:" + (e.map { String($0.bits - 1) } ?? "null")
        case .exnref: return "exnref:null"  // the scripts pass no non-null exnrefs
        }
    }

    static func expectation(_ expected: ExpectedValue) -> String {
        switch expected {
        case .bits(let kind, let size, let lanes):
            let text = lanes.map { lane in
                switch lane {
                case .exact(let bits): return String(bits, radix: 16)
                case .canonicalNaN: return "canon"
                case .arithmeticNaN: return "arith"
                }
            }
            return "bits:\(kind):\(size):" + text.joined(separator: ",")
        case .null: return "null"
        case .someFunction: return "func"
        case .extern(let value): return value.map { "extern:\($0)" } ?? "extern"
        case .either(let options): return (["either:\(options.count)"] + options.map(expectation)).joined(separator: " ")
        }
    }
}
